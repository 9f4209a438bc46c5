// What a load generator counts while it runs (round trips of the measured window, second by
// second; messages in flight; what was not sent; why the run failed), and the run loop both
// generators share: warmup, the measured window, open-loop pacing, progress, the bounded drain.
// The loop is generic over the generator, so each gets its own specialised copy: no dynamic
// dispatch on the hot path.

import Histogram
import Reactor
import Results
import Syscalls

struct LoadMeter {
    /// Round trips of the measured window; whole seconds are added as they end, so the hot
    /// path records into the current second's histogram only.
    var histogram = LatencyHistogram.empty()
    var intervalHistogram = LatencyHistogram.empty()
    /// A zeroed histogram each second starts from. Assigning it shares its counts, and the
    /// second's first round trip copies them (one specialised copy); `Histogram.reset()` is not
    /// inlinable, and zeroed its counts one unspecialised generic call at a time, a stall of the
    /// client every second.
    let empty = LatencyHistogram.empty()
    var intervalMessages: UInt64 = 0
    /// The measured window's last seconds closed, raw (`rawSeconds` at most), for a live
    /// exporter; the ones before them, encoded. A raw second holds a histogram sized for an
    /// hour (264 KiB): kept for every second, an hour's load held 930 MiB. Encoding one (a
    /// millisecond or less) when a second closes was a stall of the loop every second, so the
    /// first `rawSeconds` are encoded only after the run, and a longer run encodes one per
    /// second from then on.
    var seconds: [LoadSecond] = []
    /// Seconds closed before the first in `seconds`, encoded.
    var encoded: [LoadInterval] = []
    static let rawSeconds = 16
    var intervals: [LoadInterval] { encoded + seconds.map(LoadInterval.init) }
    /// Round trips completed in the measured window.
    var messages: UInt64 = 0
    var measuring = false
    /// False during the drain: round trips still complete, but are not counted or replaced.
    var accepting = true
    /// Messages sent (or handed out) and not answered yet, over all live connections.
    var outstanding: UInt64 = 0
    var notSent: UInt64 = 0
    var alive: Int
    var clientError: String?
    var firstError: String?

    init(alive: Int) { self.alive = alive }

    /// Open loop: most due messages handed out per turn of the loop, so a rate the client cannot
    /// keep up with still lets the turn end and the deadline be looked at.
    static let maxDuePerTurn = 16_384

    /// One round trip of `nanos` completed now.
    @inline(__always)
    mutating func record(_ nanos: UInt64) {
        guard measuring && accepting else { return }
        messages += 1
        intervalMessages += 1
        intervalHistogram.record(nanos)
    }

    /// Ends the interval [from, to) of the measured window: its figures are kept, its round
    /// trips join the run's histogram.
    mutating func closeInterval(from: UInt64, to: UInt64, measuredStart: UInt64) {
        guard to > from else { return }
        seconds.append(LoadSecond(startSeconds: Double(from &- measuredStart) / 1e9, seconds: Double(to &- from) / 1e9,
                                  messages: intervalMessages, histogram: intervalHistogram))
        histogram.add(intervalHistogram)
        intervalHistogram = empty
        intervalMessages = 0
        if seconds.count > Self.rawSeconds { encoded.append(LoadInterval(seconds.removeFirst())) }
    }

    /// The measured window starts now: what warmup recorded is dropped.
    mutating func startMeasuring() {
        measuring = true
        histogram = empty
        intervalHistogram = empty
        intervalMessages = 0
        messages = 0
    }

    /// The one policy for a failing event loop: the run ends, and the result says why.
    mutating func clientFailed(_ error: SystemError) {
        clientError = "the client's event loop failed: \(error)"
        if firstError == nil { firstError = clientError }
    }
}

/// How a run went, for its result.
struct LoadRun {
    var seconds: Double
    var messages: UInt64
    var measuredSinceEpochNanos: Int64?
    var interrupted: Bool
}

/// What the run loop drives (the load runner, specialised for its work).
protocol PacedLoad: AnyObject, EventHandler {
    var loop: EventLoop<EpollBackend> { get }
    var meter: LoadMeter { get set }
    var connectionCount: Int { get }
    /// The descriptor of connection `i` (-1 once given up).
    func descriptor(_ i: Int) -> Int32
    func isAlive(_ i: Int) -> Bool
    /// Queues one message on connection `i`, sent (or due) at `stamp`; counts it as not sent
    /// when the connection already has its most in flight.
    func enqueue(_ i: Int, stamp: UInt64)
    /// Writes as much of connection `i`'s queued messages as the socket takes.
    func flush(_ i: Int)
    /// Whether connection `i` has queued bytes waiting to be written.
    func wantsWrite(_ i: Int) -> Bool
    func setWantsWrite(_ i: Int)
    func clearWantsWrite(_ i: Int)
    /// Errors so far, for the progress line.
    var errorsSoFar: UInt64 { get }
}

extension PacedLoad {
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
