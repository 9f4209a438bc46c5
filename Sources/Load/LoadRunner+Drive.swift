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
        guard isAlive(i) else { return }
        enqueue(i, stamp: stamp)
        setWantsWrite(i)
    }

    /// A write fell short: connection `i` waits for writability (one epoll_ctl, only when its
    /// interest changes).
    @inline(__always)
    func awaitWritable(_ i: Int) {
        let fd = descriptor(i)
        if loop.interest(of: fd) != .readWrite { try? loop.setInterest(fd, .readWrite) }
        setWantsWrite(i)
    }

    /// All of connection `i`'s queued bytes are written: back to reading only.
    @inline(__always)
    func settleReadable(_ i: Int) {
        if isAlive(i), loop.interest(of: descriptor(i)) != .readable { try? loop.setInterest(descriptor(i), .readable) }
        clearWantsWrite(i)
    }

    /// Writes what `handOut` queued.
    func flushHandedOut() {
        for i in 0..<connectionCount where wantsWrite(i) { flush(i) }
    }

    /// Closed loop start: `depth` messages on every connection, written.
    func fill(depth: Int, stamp: UInt64) {
        for i in 0..<connectionCount {
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
        for i in 0..<connectionCount { try? loop.setInterest(descriptor(i), .readable) }

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
                while nextDue <= now && budget > 0 {
                    handOut(nextConn, stamp: nextDue)
                    nextConn = nextConn + 1 == connectionCount ? 0 : nextConn + 1
                    nextDue &+= interval
                    budget -= 1
                }
                behind = nextDue <= now
                lastTurn = now
                flushHandedOut()
            }
            if now >= nextReport {
                nextReport = now &+ 250_000_000
                // During warmup measuredStart is still ahead of now: nothing measured yet.
                let elapsed = meter.measuring ? Double(now - measuredStart) / 1e9 : 0
                progress(LoadProgress(elapsedSeconds: elapsed, messages: meter.messages,
                                      messagesPerSecond: elapsed > 0 && meter.measuring ? Double(meter.messages) / elapsed : 0,
                                      errors: errorsSoFar, connections: meter.alive, seconds: meter.seconds,
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
        for i in 0..<connectionCount where descriptor(i) >= 0 { loop.forget(descriptor(i)) }
        return LoadRun(seconds: Double(measuredEnd - measuredStart) / 1e9, messages: counted,
                       measuredSinceEpochNanos: meter.measuring ? measuredWallStart : nil, interrupted: wasInterrupted)
    }
}
