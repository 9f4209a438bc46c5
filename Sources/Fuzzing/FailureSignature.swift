// What counts as "the same failure" while shrinking: the kind of check that failed and how,
// not its line or byte offset (those move as the program shrinks).

import ScenarioLanguage
import ScenarioRunner

public struct FailureSignature: Hashable, Sendable, CustomStringConvertible {
    public var check: String
    public var how: String

    public var description: String { "\(check) (\(how))" }

    /// The signature of `failure`, raised by the statement at its line in `commands` (the
    /// program's body starts at `firstLine`).
    init(_ failure: RunFailure, command: Command?) {
        switch command {
        case .expectEcho(let sel, _)?: check = sel.groupName == ProgramCompiler.probes ? "liveness" : "echo"
        case .expectMatch?: check = "liveness"
        case .expectState(let sel, let state, _)?:
            check = sel.groupName == ProgramCompiler.probes ? "liveness" : "state \(state.rawValue)"
        case .expectServer(let stat, _, _, _)?: check = "server \(stat.rawValue)"
        case .connect(let group, _, _, _, _, _)?: check = group == ProgramCompiler.probes ? "liveness" : "connect"
        case let other?: check = other.rendered.split(separator: " ").first.map(String.init) ?? "?"
        case nil: check = "?"
        }
        let seen = failure.seen
        if seen.contains("without close_notify") { how = "truncated" }
        else if seen.contains("first differing byte") { how = "wrong byte" }
        else if seen.contains("unexpected extra") { how = "extra bytes" }
        else if seen.contains("at the deadline") || seen.contains("not:") { how = "timed out" }
        else if seen.contains("EOF") { how = "early EOF" }
        else if seen.contains("reset") { how = "reset" }
        else if seen.contains("never connected") || seen.contains("refused") { how = "not accepted" }
        else if seen.contains("closed") { how = "closed" }
        else if check.hasPrefix("server") { how = "wrong value" }
        else { how = "other" }
    }
}
