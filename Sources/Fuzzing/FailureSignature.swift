// What counts as "the same failure" while the fuzzer confirms, shrinks and replays a finding: the
// kind the failing check decided (which check, and how it failed), not its line or byte offset,
// which move as the program shrinks. The one thing the fuzzer adds is a role: a check on one of
// its liveness probes is a liveness failure, whatever statement made it.

import ScenarioLanguage
import ScenarioRunner

public struct FailureSignature: Hashable, Sendable, CustomStringConvertible {
    public var kind: FailureKind

    public var description: String { kind.description }

    public init(kind: FailureKind) {
        self.kind = kind
    }

    /// The signature of `failure`, raised by `command` (the statement at its line).
    public init(_ failure: RunFailure, command: Command?) {
        kind = failure.kind
        // A probe that got a wrong reply is a reply failure (the server answered); one that got
        // none, or could not connect, is the server no longer serving.
        if let command, Self.isProbe(command), kind.how != .wrongReply, kind.check.isCheckOfConnections {
            kind.check = .liveness
        }
    }

    /// A statement on the fuzzer's probe connections.
    static func isProbe(_ command: Command) -> Bool {
        switch command {
        case .expectEcho(let sel, _), .expectMatch(let sel, _, _), .expectReply(let sel, _, _), .expectState(let sel, _, _),
             .send(let sel, _):
            return sel.groupName == ProgramCompiler.probes
        case .connect(let group, _, _, _, _, _):
            return group == ProgramCompiler.probes
        default:
            return false
        }
    }
}

extension FailureKind.Check {
    /// A check of what connections saw, which a probe's failure turns into liveness (a crash,
    /// hang or protocol violation keeps its own name).
    var isCheckOfConnections: Bool {
        switch self {
        case .echo, .recv, .match, .reply, .state, .connect, .send: return true
        default: return false
        }
    }
}
