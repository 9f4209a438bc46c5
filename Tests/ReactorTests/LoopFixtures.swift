// What the backend contract tests share: the backend variants, an existential view of
// EventLoop<Backend> so one test body runs against every backend, and a recording handler.

import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

/// One way to run the loop: each BackendKind, plus epoll edge-triggered.
struct LoopFlavor: Sendable, CustomTestStringConvertible {
    let kind: BackendKind
    let edgeTriggered: Bool

    static let all: [LoopFlavor] =
        BackendKind.pollers.map { LoopFlavor(kind: $0, edgeTriggered: false) } + [LoopFlavor(kind: .epoll, edgeTriggered: true)]

    var testDescription: String { edgeTriggered ? "epoll-edge" : kind.rawValue }

    /// Whether the backend waits in the kernel (busy never does, and over-reports readiness).
    var waits: Bool { kind != .busy }

    func makeLoop() throws -> any TestableLoop {
        let options = BackendOptions(edgeTriggered: edgeTriggered)
        switch kind {
        case .busy: return try EventLoop<BusyPollBackend>(options: options)
        case .select: return try EventLoop<SelectBackend>(options: options)
        case .epoll, .uring: return try EventLoop<EpollBackend>(options: options)  // uring has no EventLoop; never listed
        }
    }
}

/// The loop's API, so a test can hold any EventLoop<Backend>.
protocol TestableLoop: AnyObject {
    var waker: LoopWaker { get }
    var kind: BackendKind { get }
    var iterations: UInt64 { get }
    var idleIterations: UInt64 { get }
    var pendingTimers: Int { get }
    func interest(of fd: Int32) -> IOEvents
    func setInterest(_ fd: Int32, _ new: IOEvents) throws(SystemError)
    func forget(_ fd: Int32)
    @discardableResult func schedule(afterNanos delay: UInt64, _ action: @escaping () -> Void) -> TimerID
    @discardableResult func schedule(atNanos deadline: UInt64, _ action: @escaping () -> Void) -> TimerID
    func cancel(_ timer: TimerID)
    @discardableResult func runOnce<H: EventHandler>(_ handler: H, maxWaitNanos: UInt64?) throws(SystemError) -> Int
    func run<H: EventHandler>(_ handler: H) throws(SystemError)
    func close()
}

extension EventLoop: TestableLoop {}

/// What a handler's read met.
enum ReadOutcome: Equatable, CustomStringConvertible {
    case data(Int)
    case eof
    case error(Int32)
    case wouldBlock

    var description: String {
        switch self {
        case .data(let n): return "\(n) bytes"
        case .eof: return "EOF"
        case .error(let e): return "errno \(e)"
        case .wouldBlock: return "EAGAIN"
        }
    }
}

/// Records every dispatched event; optionally reads readable descriptors (once per event),
/// and runs a per-event hook.
final class RecordingHandler: EventHandler {
    struct Delivery: Equatable {
        let fd: Int32
        let events: IOEvents
    }

    var deliveries: [Delivery] = []
    var readOnReadable = true
    var received: [Int32: [UInt8]] = [:]
    var outcomes: [Int32: [ReadOutcome]] = [:]
    var hook: ((Int32, IOEvents) -> Void)?

    func handle(fd: Int32, events: IOEvents) -> Bool {
        deliveries.append(Delivery(fd: fd, events: events))
        hook?(fd, events)
        guard readOnReadable, events.contains(.readable) else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let outcome: ReadOutcome
        do {
            switch try buffer.withUnsafeMutableBytes({ raw throws(SystemError) in try Sys.recv(fd, raw.baseAddress!, raw.count) }) {
            case .processed(0): outcome = .eof
            case .processed(let n):
                outcome = .data(n)
                received[fd, default: []].append(contentsOf: buffer[..<n])
            case .wouldBlock: outcome = .wouldBlock
            }
        } catch let error as SystemError {
            outcome = .error(error.errno)
        } catch {
            outcome = .error(EIO)
        }
        outcomes[fd, default: []].append(outcome)
        return outcome != .wouldBlock
    }

    func deliveries(for fd: Int32) -> [Delivery] { deliveries.filter { $0.fd == fd } }
}

/// Runs `runOnce` until `done` holds, at most `maxCalls` times and `timeout` seconds in all.
/// Returns the number of calls made.
@discardableResult
func runLoop(_ loop: any TestableLoop, _ handler: RecordingHandler, maxWait: UInt64? = millis(200),
             maxCalls: Int = 100_000, timeout: Double = 10, until done: () -> Bool) throws -> Int {
    let deadline = Deadline(secondsFromNow: timeout)
    var calls = 0
    while !done() && calls < maxCalls && !deadline.hasPassed {
        try loop.runOnce(handler, maxWaitNanos: maxWait)
        calls += 1
    }
    return calls
}
