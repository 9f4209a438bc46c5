// `set stall-timeout` for one waiting check: nothing has moved on any connection (the engine's
// progress count) or in the embedded server (its counters) for the limit. A stranded read or a
// stalled server then fails the check early instead of waiting out its whole deadline.

/// `ServerMovement`: what the embedded server moved (its counters without its idle turns).
struct StallWatch<ServerMovement: Equatable> {
    let limitNanos: UInt64
    private var seenProgress: UInt64
    private var seenServer: ServerMovement
    private var lastMove: UInt64

    /// Starts watching at `now`, from the engine's `progress` and what the server moved.
    init(limitNanos: UInt64, progress: UInt64, server: ServerMovement, now: UInt64) {
        self.limitNanos = limitNanos
        seenProgress = progress
        seenServer = server
        lastMove = now
    }

    /// Notes what moved by `now`; true once nothing has for the limit.
    mutating func stalled(progress: UInt64, server: ServerMovement, now: UInt64) -> Bool {
        if progress != seenProgress || server != seenServer {
            seenProgress = progress
            seenServer = server
            lastMove = now
            return false
        }
        return now &- lastMove >= limitNanos
    }
}
