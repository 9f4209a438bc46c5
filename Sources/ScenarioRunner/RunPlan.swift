// Which runs `sockfuzz run` makes: each file once per `--mode` design, once against `--target`,
// and once for a file that pins its design with `server mode X` (per mode it would only repeat
// the same run under the same name).

import Reactor
import ScenarioLanguage

public struct PlannedRun: Sendable {
    public var file: String
    public var program: Program
    /// The `--mode` override; nil: as the file says.
    public var mode: BackendKind?
    /// Said before the run, e.g. why a pinned file runs once, or which option does not apply.
    public var note: String?
    /// Every connect goes to a third-party server (`target`, `spawn`): the embedded server, and
    /// a fault injected into it, never meet the traffic.
    public var thirdPartyOnly = false
}

public enum RunPlan {
    /// `modes` as `ServerChoiceOptions.modes` gives them ([nil] when no --mode is given);
    /// `againstTarget`: one run each, no modes. `fault`: the --fault given, named in a note where
    /// it cannot apply.
    public static func runs(_ programs: [(file: String, program: Program)], modes: [BackendKind?], againstTarget: Bool,
                            fault: String? = nil) -> [PlannedRun] {
        let givenMode = modes.count == 1 ? modes[0] : nil
        return programs.flatMap { file, program -> [PlannedRun] in
            if againstTarget { return [PlannedRun(file: file, program: program, mode: nil)] }
            if let away = thirdPartyOnly(program.statements) {
                // Every connect goes to a third-party server: the embedded design never meets the
                // traffic, and three runs would be one test three times.
                let unused = [givenMode.map { "--mode \($0)" }, fault.map { "--fault \($0)" }].compactMap { $0 }
                var note: String?
                if modes.count > 1 || !unused.isEmpty {
                    note = "\(file): `\(away.command.rendered)` at line \(away.location.line) sends all its traffic to a third-party server"
                        + (modes.count > 1 ? ": run once, not once per --mode" : "")
                        + (unused.isEmpty ? "" : ": \(unused.joined(separator: " and ")) \(unused.count == 1 ? "does" : "do") not apply")
                }
                return [PlannedRun(file: file, program: program, mode: nil, note: note, thirdPartyOnly: true)]
            }
            guard let pin = modePin(in: program.statements) else {
                return modes.map { PlannedRun(file: file, program: program, mode: $0) }
            }
            if modes.count > 1 {
                let note = "\(file): `\(pin.command.rendered)` at line \(pin.location.line) pins the design: run once, not once per --mode"
                return [PlannedRun(file: file, program: program, mode: nil, note: note)]
            }
            if let givenMode, case .serverMode(let pinned) = pin.command, pinned != givenMode {
                let note = "\(file): `\(pin.command.rendered)` at line \(pin.location.line) pins the design: --mode \(givenMode) does not apply"
                return [PlannedRun(file: file, program: program, mode: givenMode, note: note)]
            }
            return modes.map { PlannedRun(file: file, program: program, mode: $0) }
        }
    }

    /// The first `target` or `spawn` line of a file that never starts the embedded server (no
    /// `server start` or `server mode`) and sends nothing before that line (a connect, a fuzz or
    /// proxy statement, a server check there would start the default server): nil when the
    /// embedded server may take some traffic.
    public static func thirdPartyOnly(_ statements: [Statement]) -> Statement? {
        var away: Statement?
        var embedded = false
        func scan(_ statements: [Statement]) {
            for statement in statements {
                switch statement.command {
                case .target, .spawn: if away == nil { away = statement }
                case .serverStart, .serverMode: embedded = true
                case .repeat(_, let body), .include(_, let body): scan(body)
                case .seed, .segment, .setTimeout, .setConnectTimeout, .setStallTimeout, .setReceiveBuffer, .setFraming,
                     .setShow, .print, .sleep:
                    continue
                default:
                    // Anything else before the first target line meets the default embedded server.
                    if away == nil { embedded = true }
                }
            }
        }
        scan(statements)
        return embedded ? nil : away
    }

    /// The first `server mode X`, which wins over `--mode`, in blocks and included files too.
    public static func modePin(in statements: [Statement]) -> Statement? {
        for statement in statements {
            switch statement.command {
            case .serverMode: return statement
            case .repeat(_, let body), .include(_, let body):
                if let pin = modePin(in: body) { return pin }
            default: continue
            }
        }
        return nil
    }
}
