// The server's counters, readable from any thread at any time. The loop keeps plain counters
// on its hot path and publishes them here once per iteration (no atomic per message).

import Synchronization
import Vocabulary

public struct ServerStatsSnapshot: Sendable, Equatable, Codable {
    public var accepted: UInt64 = 0
    public var active: UInt64 = 0
    public var peerEOFs: UInt64 = 0
    public var resets: UInt64 = 0
    public var refusedOverLimit: UInt64 = 0
    public var shedOnEMFILE: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var iterations: UInt64 = 0
    public var idleIterations: UInt64 = 0
    /// The largest unsent queue any one connection has held, in bytes.
    public var queueHighWater: UInt64 = 0
    /// Other socket errors that closed a connection (ETIMEDOUT, EHOSTUNREACH, ...).
    public var otherErrors: UInt64 = 0
    public var tlsHandshakes: UInt64 = 0
    public var tlsHandshakeFailures: UInt64 = 0
    /// TLS peers whose stream ended without close_notify.
    public var tlsTruncations: UInt64 = 0

    public init() {}

    /// The counter `stat` names; nil for `descriptors`, which is counted outside the server's
    /// books (`EchoServer.heldDescriptors()`). Exhaustive: a new stat must say where it comes from.
    public func value(of stat: ServerStat) -> UInt64? {
        switch stat {
        case .accepted: return accepted
        case .active: return active
        case .peerEOFs: return peerEOFs
        case .resets: return resets
        case .refusedOverLimit: return refusedOverLimit
        case .shedEMFILE: return shedOnEMFILE
        case .bytesIn: return bytesIn
        case .bytesOut: return bytesOut
        case .iterations: return iterations
        case .idleIterations: return idleIterations
        case .queueHighWater: return queueHighWater
        case .otherErrors: return otherErrors
        case .tlsHandshakes: return tlsHandshakes
        case .tlsHandshakeFailures: return tlsHandshakeFailures
        case .tlsTruncations: return tlsTruncations
        case .descriptors: return nil
        }
    }

    /// The counters by the names scenario files use, in display order.
    public var fields: [(name: String, value: UInt64)] {
        ServerStat.allCases.compactMap { stat in value(of: stat).map { (stat.rawValue, $0) } }
    }
}

public final class ServerStats: Sendable {
    private let accepted = Atomic<UInt64>(0)
    private let active = Atomic<UInt64>(0)
    private let peerEOFs = Atomic<UInt64>(0)
    private let resets = Atomic<UInt64>(0)
    private let refusedOverLimit = Atomic<UInt64>(0)
    private let shedOnEMFILE = Atomic<UInt64>(0)
    private let bytesIn = Atomic<UInt64>(0)
    private let bytesOut = Atomic<UInt64>(0)
    private let iterations = Atomic<UInt64>(0)
    private let idleIterations = Atomic<UInt64>(0)
    private let queueHighWater = Atomic<UInt64>(0)
    private let otherErrors = Atomic<UInt64>(0)
    private let tlsHandshakes = Atomic<UInt64>(0)
    private let tlsHandshakeFailures = Atomic<UInt64>(0)
    private let tlsTruncations = Atomic<UInt64>(0)

    /// Why the server's event loop stopped, when it failed (the one policy for a failing loop:
    /// the failure is recorded and reported by whoever runs the server, never swallowed).
    private let failure = Mutex<String?>(nil)
    private let failureInjected = Atomic<Bool>(false)

    public init() {}

    public var loopFailure: String? { failure.withLock { $0 } }

    func recordLoopFailure(_ why: String) { failure.withLock { $0 = $0 ?? why } }

    /// Makes the loop fail on its next iteration, through the same path a failing
    /// epoll_wait/select takes (tests of the reporting; the cause is injected).
    public func injectLoopFailureForTesting() { failureInjected.store(true, ordering: .releasing) }

    var loopFailureInjected: Bool { failureInjected.load(ordering: .acquiring) }

    func publish(_ s: ServerStatsSnapshot) {
        accepted.store(s.accepted, ordering: .relaxed)
        active.store(s.active, ordering: .relaxed)
        peerEOFs.store(s.peerEOFs, ordering: .relaxed)
        resets.store(s.resets, ordering: .relaxed)
        refusedOverLimit.store(s.refusedOverLimit, ordering: .relaxed)
        shedOnEMFILE.store(s.shedOnEMFILE, ordering: .relaxed)
        bytesIn.store(s.bytesIn, ordering: .relaxed)
        bytesOut.store(s.bytesOut, ordering: .relaxed)
        iterations.store(s.iterations, ordering: .relaxed)
        idleIterations.store(s.idleIterations, ordering: .relaxed)
        queueHighWater.store(s.queueHighWater, ordering: .relaxed)
        tlsHandshakes.store(s.tlsHandshakes, ordering: .relaxed)
        tlsHandshakeFailures.store(s.tlsHandshakeFailures, ordering: .relaxed)
        tlsTruncations.store(s.tlsTruncations, ordering: .relaxed)
        // The release store last: a reader that acquires it sees the rest of this publication.
        otherErrors.store(s.otherErrors, ordering: .releasing)
    }

    public func snapshot() -> ServerStatsSnapshot {
        var s = ServerStatsSnapshot()
        s.otherErrors = otherErrors.load(ordering: .acquiring)
        s.accepted = accepted.load(ordering: .relaxed)
        s.active = active.load(ordering: .relaxed)
        s.peerEOFs = peerEOFs.load(ordering: .relaxed)
        s.resets = resets.load(ordering: .relaxed)
        s.refusedOverLimit = refusedOverLimit.load(ordering: .relaxed)
        s.shedOnEMFILE = shedOnEMFILE.load(ordering: .relaxed)
        s.bytesIn = bytesIn.load(ordering: .relaxed)
        s.bytesOut = bytesOut.load(ordering: .relaxed)
        s.iterations = iterations.load(ordering: .relaxed)
        s.idleIterations = idleIterations.load(ordering: .relaxed)
        s.queueHighWater = queueHighWater.load(ordering: .relaxed)
        s.tlsHandshakes = tlsHandshakes.load(ordering: .relaxed)
        s.tlsHandshakeFailures = tlsHandshakeFailures.load(ordering: .relaxed)
        s.tlsTruncations = tlsTruncations.load(ordering: .relaxed)
        return s
    }
}
