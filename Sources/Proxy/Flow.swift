// One direction of a proxied connection: the bytes read from one side and not yet written to
// the other, each run of them with the time it may leave (now, for a clean pass-through; later,
// under latency, bandwidth, a slicer or a stall), and how that direction ends.

import DequeModule
import Glibc
import Framing
import Reactor
import Vocabulary

/// A run of queued bytes that leaves at one time: bytes up to the stream offset `end`.
struct Segment {
    var end: UInt64
    var release: UInt64
    /// A slicer's piece: written on its own, never merged with the next.
    var alone: Bool
}

struct Flow {
    // What a clean pass-through reads and writes per chunk comes first, so that it shares a
    // cache line or two: with a thousand connections the proxy's user time was mostly misses here.
    /// The source sent its FIN (or a toxic ended this direction).
    var sourceEnded = false
    /// The destination's write side is shut: this direction is over.
    var shutDown = false
    /// A send would block: wait for the destination to be writable.
    var blocked = false
    /// Too much queued: stop reading the source until it drains.
    var readPaused = false
    /// `plan.isClear`, kept up to date by `plan`'s didSet: read on every chunk, where computing
    /// it copied the plan.
    private(set) var clear = true
    /// Stream offsets: bytes taken into the queue, bytes written out of it.
    var enqueued: UInt64 = 0
    var sent: UInt64 = 0
    /// Bytes read from the source (dropped ones too): what limit_data and reset_peer count.
    var read: UInt64 = 0
    var queue = ByteQueue()
    var segments = Deque<Segment>()
    var lastRelease: UInt64 = 0
    /// When the bandwidth toxic's pipe is free again.
    var bandwidthFree: UInt64 = 0
    /// When the slicer may send its next slice: slices leave `delay` apart however the reads
    /// that bring them arrive, as toxiproxy's slicer waits after each one.
    var slicerFree: UInt64 = 0
    /// When the last chunk arrived while a timeout toxic held this direction.
    var lastArrival: UInt64 = 0
    var plan = FlowPlan() { didSet { clear = plan.isClear } }
    /// When the flush timer is set for (the first segment's release), or nil.
    var timerAt: UInt64?
    var timer: TimerID?
    /// slow_close has been waited out once for this direction's end.
    var closeDelayed = false
    /// reset_peer's timer is armed.
    var resetArmed = false
    /// The direction's bytes reached limit_data: close the connection once they are out.
    var limitReached = false
    /// reset_peer's byte count was reached: reset the connection once the bytes before it are out.
    var resetWhenDrained = false
    var stall = StallClock()
    /// With a framing: the frames of this direction, for the frame-aware toxics.
    var cutter: FrameCutter?
    /// Bytes read but not yet forwarded because the frame they belong to is not whole yet
    /// (while a frame-aware toxic is active), from stream offset `judgedUpTo`.
    var held: [UInt8] = []
    var judgedUpTo: UInt64 = 0

    static let pauseAbove = 1 << 20
    static let resumeBelow = 256 << 10

    var isDrained: Bool { queue.isEmpty }

    /// Appends `count` bytes that may leave at `release`.
    mutating func enqueue(_ bytes: UnsafeRawPointer, _ count: Int, release: UInt64, alone: Bool = false) {
        guard count > 0 else { return }
        queue.append(bytes, count)
        enqueued &+= UInt64(count)
        let at = max(release, lastRelease)
        lastRelease = at
        if !alone, var last = segments.last, !last.alone, last.release == at {
            last.end = enqueued
            segments[segments.count - 1] = last
        } else {
            segments.append(Segment(end: enqueued, release: at, alone: alone))
        }
    }

    /// Forgets what was written.
    mutating func consume(_ count: Int) {
        queue.consume(count)
        sent &+= UInt64(count)
        while let first = segments.first, first.end <= sent { segments.removeFirst() }
    }

    mutating func release() {
        queue.release()
        segments.removeAll()
    }
}

/// What the toxics active on one connection do to one direction, compiled when they change.
struct FlowPlan {
    var latencyNanos: UInt64 = 0
    var jitterNanos: UInt64 = 0
    var bytesPerSecond: UInt64 = 0
    var slicer: (average: Int, variation: Int, delayNanos: UInt64)?
    /// timeout (and half_close once it fired): forward nothing.
    var dropsEverything = false
    /// A timeout toxic is on: each chunk that arrives (and goes nowhere) is noted in the flow's
    /// `lastArrival`, which its timer reads (see `ProxyCore.armTimeout`).
    var notesArrivals = false
    var limitBytes: UInt64?
    var resetAfterNanos: UInt64?
    var resetAfterBytes: UInt64?
    var slowCloseNanos: UInt64 = 0
    var stall: (goodNanos: UInt64, badNanos: UInt64)?
    /// The proxy has a framing: every byte goes through the direction's cutter.
    var framed = false
    /// The frame-aware toxics active in this direction, in the order they were added.
    var frameRules: [FrameRule] = []

    /// No toxic touches the bytes: they may go straight through.
    var isClear: Bool {
        latencyNanos == 0 && jitterNanos == 0 && bytesPerSecond == 0 && slicer == nil && !dropsEverything
            && limitBytes == nil && resetAfterNanos == nil && resetAfterBytes == nil && stall == nil && !framed
    }
}

/// A frame-aware toxic as a direction applies it.
struct FrameRule {
    let name: String
    let type: ToxicType
    let nth: UInt64
    let count: UInt64
    let delayNanos: UInt64
    let reply: [UInt8]?
    /// reorder: how many connections' frames are held before they are let go, in reverse.
    let window: Int
}

/// The Gilbert-Elliott channel behind the stall toxic: a good state (bytes flow) and a bad one
/// (they wait), each lasting an exponentially distributed time around its mean. Periods are
/// drawn lazily as release times reach them.
struct StallClock {
    var bad = false
    var periodEnd: UInt64 = 0
    var started = false

    /// When bytes due at `time` may leave: `time`, or the end of the bad period it falls in.
    mutating func release(at time: UInt64, goodNanos: UInt64, badNanos: UInt64, random: inout SeededRandom) -> UInt64 {
        if !started {
            started = true
            periodEnd = time &+ random.exponential(mean: goodNanos)
        }
        while periodEnd <= time {
            bad.toggle()
            periodEnd &+= random.exponential(mean: bad ? badNanos : goodNanos)
        }
        return bad ? periodEnd : time
    }
}

extension SeededRandom {
    /// An exponentially distributed wait around `mean` (at least 1 ns), for on/off periods.
    mutating func exponential(mean: UInt64) -> UInt64 {
        guard mean > 0 else { return 1 }
        let unit = Double(next() >> 11) / Double(1 << 53)   // [0, 1)
        let draw = -Double(mean) * log1p(-unit)
        return UInt64(max(1, min(draw, Double(mean) * 50)))
    }

    /// Uniform in -spread...spread.
    mutating func offset(spread: UInt64) -> Int64 {
        guard spread > 0 else { return 0 }
        return Int64(next() % (2 * spread + 1)) - Int64(spread)
    }
}
