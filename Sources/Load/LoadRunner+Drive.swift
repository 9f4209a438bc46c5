// The load runner's run loop: warmup, the measured window, open-loop pacing, progress and the
// bounded drain. An extension of the generic runner, so each kind of work gets its own
// specialised copy: no dynamic dispatch on the hot path.

import Reactor
import Syscalls

extension LoadRunner {
    /// Open loop: a message for connection `i`, due at `stamp`, written by `flushHandedOut`
    /// (nothing when the connection is dead).
    @inline(__always)
    func handOut(_ i: Int, stamp: UInt64) {
        guard conns[i].alive else { return }
        enqueue(i, stamp: stamp)
    }

    /// A write fell short: connection `i` waits for writability (one epoll_ctl, only when its
    /// interest changes); the writable event flushes it.
    @inline(__always)
    func awaitWritable(_ i: Int) {
        let fd = conns[i].fd
        if loop.interest(of: fd) != .readWrite { try? loop.setInterest(fd, .readWrite) }
    }

    /// All of connection `i`'s queued bytes are written: back to reading only.
    @inline(__always)
    func settleReadable(_ i: Int) {
        let fd = conns[i].fd
        if conns[i].alive, loop.interest(of: fd) != .readable { try? loop.setInterest(fd, .readable) }
    }

    /// Writes what `handOut` queued this turn on the `count` connections from `first` (round
    /// robin), except where a short write left a connection waiting for its writable event:
    /// a send there would only say EAGAIN.
    func flushHandedOut(from first: Int, count: Int) {
        var i = first
        for _ in 0..<count {
            let fd = conns[i].fd
            // A connection being opened again (no descriptor yet) is flushed once it opens.
            if conns[i].alive && fd >= 0 && loop.interest(of: fd) != .readWrite { flush(i) }
            i = i + 1 == conns.count ? 0 : i + 1
        }
    }

    /// Closed loop start: `depth` messages on every connection, written.
    func fill(depth: Int, stamp: UInt64) {
        for i in 0..<conns.count {
            for _ in 0..<depth { enqueue(i, stamp: stamp) }
            flush(i)
        }
    }

    /// Runs warmup, the measured window and the drain; `progress` is called a few times a
    /// second, `interrupted` polled as often.
    func drive(_ window: LoadWindow, progress: (LoadProgress) -> Void, interrupted: () -> Bool) -> LoadRun {
        let start = Sys.monotonicNanos()
        let measureFrom = start &+ window.warmupNanos
        let end = measureFrom &+ window.durationNanos
        meter.measuring = window.warmupNanos == 0
        for i in 0..<conns.count { try? loop.setInterest(conns[i].fd, .readable) }

        var interval: UInt64 = 0
        var nextDue = start
        var nextConn = 0
        switch window.pacing {
        case .depth(let d): fill(depth: d, stamp: start)
        case .rate(let r): interval = max(1, UInt64(1e9 / r.perSecond))
        }

        var measuredStart = meter.measuring ? start : measureFrom
        var measuredWallStart = meter.measuring ? Sys.wallClockNanos() : 0
        var nextInterval = measuredStart &+ 1_000_000_000
        var nextReport = start &+ 250_000_000
        var wasInterrupted = false
        /// The last time the open loop handed out what was due (what fell due after it is no backlog).
        var lastTurn = start
        while true {
            let now = Sys.monotonicNanos()
            if !meter.measuring && now >= measureFrom {
                meter.startMeasuring()
                measuredStart = now
                measuredWallStart = Sys.wallClockNanos()
                nextInterval = now &+ 1_000_000_000
            }
            if meter.measuring && now >= nextInterval {
                meter.closeInterval(from: nextInterval &- 1_000_000_000, to: nextInterval, measuredStart: measuredStart)
                nextInterval &+= 1_000_000_000
            }
            if interrupted() { wasInterrupted = true; break }
            if now >= end || meter.alive == 0 { break }
            var behind = false
            if interval > 0 {
                // Open loop: the messages due by now go out, stamped with when they were due.
                var budget = LoadMeter.maxDuePerTurn
                let firstHandedOut = nextConn
                var handedOut = 0
                while nextDue <= now && budget > 0 {
                    handOut(nextConn, stamp: nextDue)
                    nextConn = nextConn + 1 == conns.count ? 0 : nextConn + 1
                    nextDue &+= interval
                    budget -= 1
                    handedOut += 1
                }
                behind = nextDue <= now
                lastTurn = now
                flushHandedOut(from: firstHandedOut, count: min(handedOut, conns.count))
            }
            if now >= nextReport {
                nextReport = now &+ 250_000_000
                // During warmup measuredStart is still ahead of now: nothing measured yet.
                let elapsed = meter.measuring ? Double(now - measuredStart) / 1e9 : 0
                progress(LoadProgress(elapsedSeconds: elapsed, messages: meter.messages,
                                      messagesPerSecond: elapsed > 0 && meter.measuring ? Double(meter.messages) / elapsed : 0,
                                      errors: work.errors + connectionErrors, connections: meter.alive, seconds: meter.seconds,
                                      secondsBefore: meter.encoded.count))
            }
            let wait = behind ? 0 : interval > 0 ? min(nextDue > now ? nextDue - now : 0, end - now) : min(end - now, 50_000_000)
            do { try loop.runOnce(self, maxWaitNanos: wait) } catch { meter.clientFailed(error); break }
        }
        let measuredEnd = Sys.monotonicNanos()
        if meter.measuring { meter.closeInterval(from: nextInterval &- 1_000_000_000, to: measuredEnd, measuredStart: measuredStart) }
        let counted = meter.messages
        if interval > 0 && nextDue <= lastTurn {
            // Still behind at the last turn: the backlog was never handed out; the client could not keep up.
            meter.notSent += (lastTurn - nextDue) / interval + 1
        }

        // Drain: outstanding answers still come back and are still checked, but not counted. An
        // interrupted run drains too (bounded as ever), so its partial result counts as
        // unanswered only what really was.
        meter.accepting = false
        let drainUntil = measuredEnd &+ window.drainNanos
        while meter.outstanding > 0 && meter.clientError == nil && Sys.monotonicNanos() < drainUntil {
            do { try loop.runOnce(self, maxWaitNanos: 20_000_000) } catch { meter.clientFailed(error) }
        }
        for i in 0..<conns.count where conns[i].fd >= 0 { loop.forget(conns[i].fd) }
        return LoadRun(seconds: Double(measuredEnd - measuredStart) / 1e9, messages: counted,
                       measuredSinceEpochNanos: meter.measuring ? measuredWallStart : nil, interrupted: wasInterrupted)
    }
}
