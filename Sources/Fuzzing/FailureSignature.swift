// What counts as "the same failure" while shrinking: the kind of check that failed and how,
// not its line or byte offset (those move as the program shrinks).

import Foundation
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
        case .expectReply(let sel, _, _)?: check = sel.groupName == ProgramCompiler.probes ? "liveness" : "reply"
        case .expectNoReply?: check = "reply"
        case .expectState(let sel, let state, _)?:
            check = sel.groupName == ProgramCompiler.probes ? "liveness" : "state \(state.rawValue)"
        case .expectServer(let stat, _, _, _)?: check = "server \(stat.rawValue)"
        case .connect(let group, _, _, _, _, _)?: check = group == ProgramCompiler.probes ? "liveness" : "connect"
        case let other?: check = other.rendered.split(separator: " ").first.map(String.init) ?? "?"
        case nil: check = "?"
        }
        let seen = failure.seen
        if case .expectReply? = command, let replyHow = Self.replyHow(seen) { how = replyHow }
        else if case .expectNoReply? = command { how = seen.contains("framing error") ? "malformed reply" : "extra reply" }
        else if seen.contains("without close_notify") { how = "truncated" }
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

    /// How a reply check failed, for the words only its failures use.
    static func replyHow(_ seen: String) -> String? {
        if seen.contains("framing error") { return "malformed reply" }
        if seen.contains("at stream offset") { return "wrong reply" }
        // "c[0]: EOF with 0 of 1 reply" is the connection's end: the general words below say how.
        if seen.range(of: #"with \d+ of \d+ repl"#, options: .regularExpression) != nil { return nil }
        if seen.contains(" whole repl") { return "timed out" }
        return nil
    }
}
