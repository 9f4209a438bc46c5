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
}
