// What a load run counts while it runs: round trips of the measured window, second by second;
// messages in flight; what was not sent; why the run failed.

import Histogram
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
