// Echo load, the load runner's first work: each message is a keyed pattern (MessagePattern), and
// every echoed byte is checked against it. Messages are written as they are generated, straight
// into the runner's write buffer; a read is checked in place. Nothing is allocated or copied per
// message; a division happens once per write, never per message.

import Syscalls
import TLSClient
import Vocabulary

public struct LoadPlan: Sendable {
    public var messageSize: Int
    public var window: LoadWindow

    public init(messageSize: Int, pacing: LoadPacing, durationNanos: UInt64, warmupNanos: UInt64 = 0,
                drainNanos: UInt64 = 2_000_000_000) {
        self.messageSize = messageSize
        window = LoadWindow(pacing: pacing, durationNanos: durationNanos, warmupNanos: warmupNanos, drainNanos: drainNanos)
    }
}

final class EchoLoad: LoadWork {
    struct State {
        /// Bytes of the queued messages already written.
        var writtenBytes: UInt64 = 0
        /// Bytes echoed back and verified; of them, the bytes of the message not yet whole (kept
        /// beside the count of whole ones, `answered`, so the hot path never divides).
        var receivedBytes: UInt64 = 0
        var receivedPartial = 0
    }

    let size: Int
    private(set) var corrupted: UInt64 = 0
    /// Where a message that differs is spelled out (failures only).
    private let expected = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)

    init(messageSize: Int) {
        precondition(messageSize > 0)
        size = messageSize
    }

    deinit { expected.deallocate() }

    var errors: UInt64 { corrupted }

    func initialState() -> State { State() }

    @inline(__always)
    func queued(_ i: Int, seq: UInt64) {}

    @inline(__always)
    func hasUnwritten(_ c: LoadConnection<State>) -> Bool { c.state.writtenBytes < c.queued &* UInt64(size) }

    @inline(__always)
    func wroteUnanswered(_ c: LoadConnection<State>) -> Bool { c.state.writtenBytes > c.state.receivedBytes }

    func closeNote(_ c: LoadConnection<State>) -> String { "" }

    /// The queued messages' bytes from the first unwritten one, generated in place.
    @inline(__always)
    func fill(_ i: Int, _ c: LoadConnection<State>, _ buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        let total = c.queued &* UInt64(size)
        var written = c.state.writtenBytes
        var filled = 0
        let conn = UInt64(i)
        // One division a call, none a message.
        var seq = written / UInt64(size)
        var offset = Int(written &- seq &* UInt64(size))
        while filled < capacity && written < total {
            let n = min(size &- offset, capacity &- filled)
            writePattern(conn: conn, seq: seq, from: offset, count: n, into: buffer + filled)
            filled &+= n
            written &+= UInt64(n)
            offset &+= n
            if offset == size {
                seq &+= 1
                offset = 0
            }
        }
        return filled
    }

    @inline(__always)
    func wrote(_ i: Int, _ c: inout LoadConnection<State>, sent: Int, filled: Int) {
        c.state.writtenBytes &+= UInt64(sent)
    }

    @inline(__always)
    func carried(_ i: Int) -> Int { 0 }

    func restoreCarried(_ i: Int, into buffer: UnsafeMutableRawPointer) {}

    /// Checks the `received` bytes against the pattern and completes every message they finish.
    @inline(__always)
    func consume(_ i: Int, _ buffer: UnsafeMutableRawPointer, carried: Int, received n: Int, runner r: LoadRunner<EchoLoad>) {
        var consumed = 0
        let now = Sys.monotonicNanos()
        let conn = UInt64(i)
        while consumed < n {
            let c = r.conns[i]
            let seq = c.answered
            let offset = c.state.receivedPartial
            let take = min(size &- offset, n &- consumed)
            if seq >= c.queued {
                corrupted += 1
                r.fail(i, "connection \(i): \(n - consumed) unexpected byte(s) after the echoes of all \(seq) message(s) sent", counted: false)
                return
            }
            if !matchesPattern(conn: conn, seq: seq, from: offset, count: take, in: buffer + consumed) {
                differs(i, seq: seq, offset: offset, received: c.state.receivedBytes, bytes: buffer + consumed, count: take, runner: r)
                return
            }
            consumed &+= take
            r.conns[i].state.receivedBytes = c.state.receivedBytes &+ UInt64(take)
            if offset &+ take == size {
                r.conns[i].state.receivedPartial = 0
                r.answer(i, now: now)
            } else {
                r.conns[i].state.receivedPartial = offset &+ take
            }
        }
    }

    /// Names the first byte of message `seq` that differs, and gives the connection up.
    private func differs(_ i: Int, seq: UInt64, offset: Int, received: UInt64, bytes: UnsafeRawPointer, count: Int,
                         runner r: LoadRunner<EchoLoad>) {
        writePattern(conn: UInt64(i), seq: seq, from: offset, count: count, into: expected)
        var k = 0
        while expected.load(fromByteOffset: k, as: UInt8.self) == bytes.load(fromByteOffset: k, as: UInt8.self) { k += 1 }
        let sent = expected.load(fromByteOffset: k, as: UInt8.self)
        let got = bytes.load(fromByteOffset: k, as: UInt8.self)
        corrupted += 1
        r.fail(i, "connection \(i): message \(seq) byte \(offset + k) differs (stream offset \(received + UInt64(k))): "
               + "sent \(ByteText.quoted(sent)), got \(ByteText.quoted(got))", counted: false)
    }

    func reopened(_ i: Int, runner: LoadRunner<EchoLoad>) {}

    func unanswered(_ i: Int, _ c: LoadConnection<State>) -> String {
        let size = UInt64(size)
        let seq = c.answered
        let sent = min(size, c.state.writtenBytes > seq * size ? c.state.writtenBytes - seq * size : 0)
        return "connection \(i): message \(seq): \(c.state.receivedPartial) of \(size) bytes echoed (\(sent) sent)"
    }
}

extension LoadRunner where Work == EchoLoad {
    /// Takes over `fds` (connected, non-blocking) for the run; they stay open afterwards. With
    /// `transports`, theirs in the same order (still the caller's; nil: all clear).
    convenience init(fds: [Int32], plan: LoadPlan, transports: [Transport]? = nil) throws(SystemError) {
        try self.init(work: EchoLoad(messageSize: plan.messageSize), fds: fds, window: plan.window, transports: transports, reconnect: nil)
    }

    /// Runs the plan; `progress` is called a few times a second, `interrupted` polled as often.
    func run(progress: (LoadProgress) -> Void = { _ in }, interrupted: () -> Bool = { false }) -> LoadResult {
        let run = drive(progress: progress, interrupted: interrupted)
        return result(run, messageSize: work.size, bytesPerMessage: Double(work.size), corrupted: work.corrupted, replies: nil)
    }

    /// Bytes each connection sent and got back verified, in the order of the `fds` given.
    var verifiedBytes: [UInt64] { conns.map(\.state.receivedBytes) }
}
