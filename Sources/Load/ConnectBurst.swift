// Opening many connections fast: at most `inFlight` handshakes pending, each connection sends
// one byte once established and counts as echoed when that same byte, and nothing more, comes
// back within the echo deadline. Reports connects/s and the time from connect() to the first
// echoed byte. Bounded: the whole burst has a deadline, and so has each echo. The connections
// that echoed stay open for the caller. Without the echo probe (a server that is no echo server)
// a connection is ready once connected, and `echoed` counts the ready ones. With TLS, each
// connection first completes its handshake (driven by the same loop: WANT_READ / WANT_WRITE set
// the interest), its latency counted from connect(); the handshakes in flight count against the
// same bound, and the echo deadline bounds each handshake too.

import Glibc
import Histogram
import Reactor
import Results
import Syscalls
import TLSClient

public struct ConnectBurstResult: Sendable, Codable, Equatable {
    public var requested: Int
    public var connected: Int
    public var echoed: Int
    public var failed: Int
    /// Still connecting when the burst's deadline passed.
    public var connectTimeouts: Int
    /// Connected, but no byte came back within the echo deadline (a server that never reads or
    /// never answers).
    public var echoTimeouts: Int
    /// Answered with something other than the byte sent (not an echo server).
    public var wrongEchoes: Int
    /// The first such answer, e.g. "sent 'x', got 'H'".
    public var firstWrongEcho: String?
    /// The echo deadline, in seconds.
    public var echoTimeoutSeconds: Double
    public var firstError: String?
    /// The client's own event loop failed (e.g. epoll_wait) and ended the burst early.
    public var clientError: String?
    /// Stopped by SIGINT or SIGTERM.
    public var interrupted: Bool
    /// Seconds until the last connect completed.
    public var connectSeconds: Double
    /// Seconds until the last first-byte echo came back.
    public var echoSeconds: Double
    public var connectsPerSecond: Double
    public var echoedPerSecond: Double
    /// Time from connect() to the first echoed byte, per connection, in microseconds.
    public var firstByteMicros: Percentiles?
    /// TLS only: the handshakes.
    public var tls: TLSHandshakes? = nil
}

/// How the TLS handshakes of a connect burst went.
public struct TLSHandshakes: Sendable, Codable, Equatable {
    /// Handshakes completed.
    public var completed: Int
    /// Refused or broken handshakes (a wrong version, a failed verification, not a TLS server).
    public var failed: Int
    /// Handshakes still going at their deadline.
    public var timeouts: Int
    /// The first failure, in OpenSSL's words.
    public var firstFailure: String?
    /// Seconds from the first connect() to the last completed handshake.
    public var seconds: Double
    public var perSecond: Double
    /// From connect() to the handshake's end, per connection, in microseconds.
    public var latencyMicros: Percentiles?
    /// What the first handshake negotiated, and the ALPN protocol if any.
    public var version: ClientTLS.Version? {
        get { versionName.flatMap(ClientTLS.Version.init(openSSLName:)) }
        set { versionName = newValue?.openSSLName }
    }
    public var alpn: String?
    /// The latencies in nanoseconds, HdrHistogram's compressed encoding (base64): shares merge exactly.
    public var histogram: String? = nil
    /// The version as the JSON record writes it, OpenSSL's name ("TLSv1.3").
    fileprivate var versionName: String? = nil

    private enum CodingKeys: String, CodingKey {
        case completed, failed, timeouts, firstFailure, seconds, perSecond, latencyMicros, alpn, histogram
        case versionName = "version"
    }
}

public final class ConnectBurst: EventHandler {
    enum Phase: UInt8 { case idle, connecting, handshaking, waitingEcho, done, failed }

    let loop: EventLoop<EpollBackend>
    private var fds: [Int32] = []
    private var phases: [Phase] = []
    private var started: [UInt64] = []
    /// When each connection's byte went out: its echo deadline counts from there.
    private var sentAt: [UInt64] = []
    private var indexByFD: [Int32] = []
    /// Connections started and not yet done (connecting, handshaking or waiting for their echo),
    /// and the most there may be. Nothing queues: the burst starts them by index, as the pace allows.
    private var underway = 0
    private var underwayLimit = 1
    private var connected = 0
    private var echoed = 0
    private var failed = 0
    private var connectTimeouts = 0
    private var echoTimeouts = 0
    private var wrongEchoes = 0
    private var firstWrongEcho: String?
    private var firstError: String?
    private var lastConnect: UInt64 = 0
    private var lastEcho: UInt64 = 0
    /// Sized up front: resizing as larger values arrived was most of the burst's user time.
    private var firstByte = Histogram<UInt64>(highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .two)
    private var byte: UInt8 = 0x78
    private var probeEcho = true
    private var tls: Connector.TLSTarget?
    /// Each connection's connect (and handshake) while it runs, by position.
    private var attempts: [Connector.Attempt?] = []
    /// Each open connection's way to move bytes, by position.
    private var transports: [Transport] = []
    private var handshakes = 0
    private var handshakeFailures = 0
    private var handshakeTimeouts = 0
    private var firstHandshakeFailure: String?
    private var lastHandshake: UInt64 = 0
    private var handshakeLatency = Histogram<UInt64>(highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .two)
    private var negotiated: (version: ClientTLS.Version?, alpn: String?)?
    /// How each connection returned moves its bytes, in their order; the caller owns them (a TLS
    /// session to end or free, as the descriptor to close).
    public private(set) var keptTransports: [Transport] = []
    /// Room for more than the one byte an echo server can answer, to see a server that says more.
    private let answer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)

    public init() throws(SystemError) {
        loop = try EventLoop<EpollBackend>()
    }

    deinit {
        loop.close()
        answer.deallocate()
    }

    /// Opens `count` connections to `target`; returns the figures and the descriptors of the
    /// connections that echoed (the caller owns them; the others are closed). With `tls`, each
    /// connection speaks TLS to the target's `tlsName` (the name checked and sent, unless the
    /// settings name one); `keptTransports` says how each returned connection moves its bytes. `perSecond`: start at
    /// most so many connections a second (nil: as fast as the in-flight bound lets).
    public func run(count: Int, to target: Target, inFlight: Int = 1000, timeoutNanos: UInt64 = 60_000_000_000,
                    echoTimeoutNanos: UInt64 = 5_000_000_000, sources: [SocketAddress] = [], probeEcho: Bool = true,
                    tls: TLSClientContext? = nil, perSecond: Double? = nil,
                    interrupted: () -> Bool = { false }) -> (ConnectBurstResult, [Int32]) {
        self.probeEcho = probeEcho
        self.tls = tls.map { Connector.TLSTarget($0, host: target.tlsName) }
        attempts = Array(repeating: nil, count: count)
        transports = Array(repeating: .clear, count: count)
        keptTransports = []
        underway = 0
        underwayLimit = max(1, inFlight)
        let t0 = Sys.monotonicNanos()
        let deadline = t0 &+ timeoutNanos
        fds = Array(repeating: -1, count: count)
        // Descriptor numbers stay below the open-file limit: one allocation for the whole burst.
        indexByFD = Array(repeating: -1, count: max(indexByFD.count, min(Sys.openFileLimit(), 1 << 20) + 1))
        phases = Array(repeating: .idle, count: count)
        started = Array(repeating: 0, count: count)
        sentAt = Array(repeating: 0, count: count)
        var next = 0
        var clientError: String?
        var wasInterrupted = false
        var nextSweep = t0 &+ 100_000_000
        while echoed + failed < count && Sys.monotonicNanos() < deadline {
            if interrupted() { wasInterrupted = true; break }
            var wait: UInt64 = 100_000_000
            while next < count && underway < underwayLimit {
                if let perSecond {
                    // Connection k is due k/rate seconds after the start.
                    let due = t0 &+ UInt64(Double(next) / perSecond * 1e9)
                    let now = Sys.monotonicNanos()
                    if due > now { wait = min(wait, due - now); break }
                }
                underway += 1
                start(next, target.address, sources)
                next += 1
            }
            do { try loop.runOnce(self, maxWaitNanos: wait) } catch {
                clientError = "the client's event loop failed: \(error)"
                break
            }
            let now = Sys.monotonicNanos()
            if now >= nextSweep {
                nextSweep = now &+ 100_000_000
                expireEchoes(upTo: next, now: now, timeoutNanos: echoTimeoutNanos)
            }
        }
        // What the deadline (not an interrupt or a failed loop) cut short gets its reason.
        if !wasInterrupted && clientError == nil {
            for i in 0..<count {
                switch phases[i] {
                case .connecting:
                    connectTimeouts += 1
                    failOne(i, "connect did not complete within \(Self.seconds(timeoutNanos))")
                case .handshaking:
                    handshakeTimeouts += 1
                    failOne(i, "TLS handshake did not complete within \(Self.seconds(min(timeoutNanos, echoTimeoutNanos)))")
                case .waitingEcho:
                    echoTimeouts += 1
                    failOne(i, "no echo of its first byte within \(Self.seconds(min(timeoutNanos, echoTimeoutNanos)))")
                case .idle:
                    connectTimeouts += 1
                    failOne(i, "not started within \(Self.seconds(timeoutNanos)): every handshake slot stayed busy")
                case .done, .failed:
                    break
                }
            }
        }
        if let clientError { firstError = clientError }
        var kept: [Int32] = []
        for i in 0..<count where fds[i] >= 0 {
            loop.forget(fds[i])
            if phases[i] == .done {
                kept.append(fds[i])
                keptTransports.append(transports[i])
            } else {
                attempts[i]?.abandon()
                transports[i].free()
                Sys.close(fds[i])
            }
        }
        let connectSeconds = Double((lastConnect > 0 ? lastConnect : Sys.monotonicNanos()) - t0) / 1e9
        let echoSeconds = Double((lastEcho > 0 ? lastEcho : Sys.monotonicNanos()) - t0) / 1e9
        let percentiles = Percentiles(nanoseconds: firstByte)
        var result = ConnectBurstResult(requested: count, connected: connected, echoed: echoed,
                                        failed: count - echoed, connectTimeouts: connectTimeouts, echoTimeouts: echoTimeouts,
                                        wrongEchoes: wrongEchoes, firstWrongEcho: firstWrongEcho, echoTimeoutSeconds: Double(echoTimeoutNanos) / 1e9,
                                        firstError: firstError, clientError: clientError, interrupted: wasInterrupted,
                                        connectSeconds: connectSeconds, echoSeconds: echoSeconds,
                                        connectsPerSecond: connectSeconds > 0 ? Double(connected) / connectSeconds : 0,
                                        echoedPerSecond: echoSeconds > 0 ? Double(echoed) / echoSeconds : 0,
                                        firstByteMicros: percentiles)
        if tls != nil {
            let seconds = Double((lastHandshake > 0 ? lastHandshake : Sys.monotonicNanos()) - t0) / 1e9
            result.tls = TLSHandshakes(completed: handshakes, failed: handshakeFailures, timeouts: handshakeTimeouts,
                                       firstFailure: firstHandshakeFailure, seconds: seconds,
                                       perSecond: seconds > 0 ? Double(handshakes) / seconds : 0,
                                       latencyMicros: Percentiles(nanoseconds: handshakeLatency),
                                       alpn: negotiated?.alpn,
                                       histogram: handshakeLatency.totalCount > 0 ? HistogramEncoding.base64(handshakeLatency) : nil)
            result.tls!.version = negotiated?.version
        }
        return (result, kept)
    }

    /// Fails every connection whose byte (or handshake) has been out longer than the echo deadline.
    private func expireEchoes(upTo end: Int, now: UInt64, timeoutNanos: UInt64) {
        for i in 0..<end where (phases[i] == .waitingEcho || phases[i] == .handshaking) && now &- sentAt[i] >= timeoutNanos {
            if phases[i] == .handshaking {
                handshakeTimeouts += 1
                failOne(i, "TLS handshake did not complete within \(Self.seconds(timeoutNanos)): not a TLS server?")
            } else {
                echoTimeouts += 1
                failOne(i, "no echo of its first byte within \(Self.seconds(timeoutNanos))")
            }
        }
    }

    static func seconds(_ nanos: UInt64) -> String {
        nanos % 1_000_000_000 == 0 ? "\(nanos / 1_000_000_000) s" : "\(Double(nanos) / 1e9) s"
    }

    private func start(_ i: Int, _ address: SocketAddress, _ sources: [SocketAddress]) {
        started[i] = Sys.monotonicNanos()
        phases[i] = .connecting
        let (attempt, step) = Connector.Attempt.start(to: address, tls: tls) { fd in
            try? Sys.setNoDelay(fd)
            guard !sources.isEmpty else { return .success(fd) }
            let source = sources[i % sources.count]
            do throws(SystemError) { try Sys.bindSource(fd, source) } catch {
                let hint = error.errno == EADDRNOTAVAIL ? " (not an address of this host; on loopback any 127.x.y.z works)" : ""
                return .failure(.setup("cannot bind source address \(source.host): \(SystemError.describe(error.errno))" + hint))
            }
            return .success(fd)
        }
        if let attempt {
            let fd = attempt.fd
            indexByFD.growToHold(descriptor: fd, empty: -1)
            indexByFD[Int(fd)] = Int32(i)
            fds[i] = fd
            attempts[i] = attempt
        }
        proceed(i, step)
    }

    /// The Connector's next step for connection `i`: wait for the socket, count TCP (and the
    /// handshake) done, or fail it.
    private func proceed(_ i: Int, _ step: Connector.Step) {
        if phases[i] == .connecting {
            // When TCP came up: before the handshake's first step, or a step that ended it.
            let tcpUp: Bool
            switch step {
            case .open, .failed(.handshake): tcpUp = true
            case .failed: tcpUp = false
            case .waits: tcpUp = attempts[i]?.ssl != nil
            }
            if tcpUp {
                connected += 1
                lastConnect = Sys.monotonicNanos()
                if tls != nil {
                    phases[i] = .handshaking
                    sentAt[i] = lastConnect
                }
            }
        }
        switch step {
        case .waits(let wait):
            try? loop.setInterest(fds[i], wait == .readable ? .readable : .writable)
        case .failed(.handshake(let why)):
            handshakeFailed(i, why)
        case .failed(let failure):
            failOne(i, failure.description)
        case .open(let transport):
            attempts[i] = nil
            transports[i] = transport
            if let ssl = transport.ssl {
                lastHandshake = Sys.monotonicNanos()
                handshakeLatency.record(lastHandshake &- started[i])
                handshakes += 1
                if negotiated == nil { negotiated = TLSClientContext.negotiated(ssl) }
            }
            ready(i)
        }
    }

    public func handle(fd: Int32, events: IOEvents) -> Bool {
        let i = Int(indexByFD[Int(fd)])
        guard i >= 0 else { return false }
        switch phases[i] {
        case .connecting, .handshaking:
            if attempts[i] != nil { proceed(i, attempts[i]!.advance()) }
        case .waitingEcho:
            let got: Int
            do {
                let io = try transports[i].receive(fd, answer, 64)
                switch io {
                case .wouldBlock: return true
                case .processed(let n): got = n
                }
            } catch {
                failOne(i, "reset before echoing its first byte: \(error)")
                return true
            }
            if got == 0 {
                failOne(i, "closed by the server before echoing its first byte")
            } else if answer.load(as: UInt8.self) != byte {
                wrongEcho(i, "sent \(ByteText.quoted(byte)), got \(ByteText.quoted(answer.load(as: UInt8.self)))")
            } else if got > 1 {
                wrongEcho(i, "sent 1 byte, got \(got) back")
            } else {
                let now = Sys.monotonicNanos()
                firstByte.record(now - started[i])
                lastEcho = now
                phases[i] = .done
                echoed += 1
                underway -= 1
                loop.forget(fd)
                // Idle from here: what reading the echo (and the session tickets) allocated goes now,
                // for the next connections to reuse.
                transports[i].releaseBuffers()
            }
        case .idle, .done, .failed:
            break
        }
        return true
    }

    private func handshakeFailed(_ i: Int, _ why: String) {
        handshakeFailures += 1
        if firstHandshakeFailure == nil { firstHandshakeFailure = why }
        failOne(i, "TLS handshake failed: \(why)")
    }

    /// Connected (and, with TLS, handshaken): probe the echo, or count it ready.
    private func ready(_ i: Int) {
        guard probeEcho else {
            phases[i] = .done
            echoed += 1
            underway -= 1
            loop.forget(fds[i])
            transports[i].releaseBuffers()
            return
        }
        phases[i] = .waitingEcho
        sentAt[i] = Sys.monotonicNanos()
        let sent = try? transports[i].send(fds[i], &byte, 1)
        switch sent {
        case .processed(1)?: try? loop.setInterest(fds[i], .readable)
        default: failOne(i, "cannot send the first byte")
        }
    }

    private func wrongEcho(_ i: Int, _ what: String) {
        wrongEchoes += 1
        if firstWrongEcho == nil { firstWrongEcho = what }
        failOne(i, what + ": not an echo server")
    }

    private func failOne(_ i: Int, _ why: String) {
        if firstError == nil { firstError = why }
        if phases[i] == .connecting || phases[i] == .handshaking || phases[i] == .waitingEcho { underway -= 1 }
        phases[i] = .failed
        failed += 1
        attempts[i]?.abandon()
        attempts[i] = nil
        transports[i].free()
        transports[i] = .clear
        if fds[i] >= 0 {
            loop.forget(fds[i])
            indexByFD[Int(fds[i])] = -1
            Sys.close(fds[i])
            fds[i] = -1
        }
    }
}
