// At the console a `send` to a framed group waits, like redis-cli, for the replies it asked
// for, so they print under the command that caused them; Ctrl-C or a short deadline ends the wait.

import ScenarioRunner
import Syscalls

extension Console {
    /// The longest a `send` waits for its replies (a server that never answers some request,
    /// such as a subscription, must not hang the prompt).
    static let replyWaitNanos: UInt64 = 2_000_000_000

    /// Replies and framing errors of every group so far, for the status line.
    func replyTotals() -> (Int, Int) {
        session.engine.groupOrder.reduce(into: (0, 0)) { sum, group in
            let stats = session.engine.groupStats(group)
            sum.0 += stats.replies
            sum.1 += stats.framingErrors
        }
    }

    func awaitReplies() {
        let engine = session.engine
        let framed = (0..<engine.connectionCount).filter { engine.view($0).framing != nil }
        guard !framed.isEmpty else { return }
        let until = Sys.monotonicNanos() &+ min(Self.replyWaitNanos, session.timeoutNanos)
        _ = engine.drive(until: until, interrupted: { session.interrupt.isSet }) {
            framed.allSatisfy { id in
                let v = engine.view(id)
                return v.repliesAwaited == 0 || v.phase != .open || v.peerEOF || v.framingError != nil
            }
        }
    }

    /// Says, once each, replies beyond the requests sent: they are not paired with a later
    /// request (the console counts requests by parsing what was sent; see ClientEngine.send).
    func sayUnaskedReplies() {
        let engine = session.engine
        for id in 0..<engine.connectionCount where engine.view(id).framing != nil {
            let v = session.engine.view(id)
            let said = unaskedSaid[id] ?? 0
            guard v.repliesUnasked > said else { continue }
            let n = v.repliesUnasked - said
            unaskedSaid[id] = v.repliesUnasked
            out.line("\(v.name): \(n) more repl\(n == 1 ? "y" : "ies") than requests sent (\(v.repliesReceived) replies to "
                     + "\(v.repliesReceived - v.repliesUnasked) requests): the server answered more than was asked")
        }
    }
}
