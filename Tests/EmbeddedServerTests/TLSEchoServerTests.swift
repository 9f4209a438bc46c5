// The embedded echo server over TLS in every mode (busy, select, epoll, epoll edge-triggered):
// byte-for-byte echo, half-close after close_notify, truncation counting, key updates (also
// under back-pressure), renegotiation refused, and the two TLS faults each caught beside its correct twin.

import COpenSSL
import EmbeddedServer
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("Embedded echo server over TLS", .serialized, .sharesDescriptorTable, .timeLimit(.minutes(5)))
struct TLSEchoServerTests {

    @Test("echoes byte for byte over TLS", arguments: ServerMode.servingTLS, [1, 64 * 1024, 4 << 20])
    func echo(mode: ServerMode, size: Int) throws {
        let (server, address) = try startTLSServer(mode, queueLimit: 8 << 20)
        defer { server.stop() }
        let payload = patternBytes(count: size, seed: UInt64(size))
        let client = try TLSTestClient(connectingTo: address)

        let back = client.roundTrip(payload, timeout: 60)

        #expect(back.count == payload.count && firstDifference(back, payload) == nil,
                "received \(back.count) of \(payload.count), first difference at \(firstDifference(back, payload) ?? -1)")
        // The server publishes its counters after each loop iteration, maybe after the echo arrived.
        #expect(waitUntil(timeout: 10) {
            let stats = server.stats.snapshot()
            return stats.tlsHandshakes == 1 && stats.bytesIn == UInt64(size) && stats.bytesOut == UInt64(size)
        }, "\(server.stats.snapshot())")
    }

    @Test("half-close: after the client's close_notify every queued byte comes back, then the server's close_notify",
          arguments: ServerMode.servingTLS)
    func halfCloseFlush(mode: ServerMode) throws {
        let outcome = try tlsHalfClose(mode)
        #expect(outcome.sawCloseNotify, "the server never saw the client's close_notify")
        #expect(outcome.queuedAtCloseNotify > 0, "nothing was queued: the test did not test the flush")
        #expect(outcome.received == outcome.payload, "received \(outcome.received.count) of \(outcome.payload.count) bytes")
        #expect(outcome.end == .closeNotify, "the stream ended with \(outcome.end)")
        #expect(outcome.truncations == 0)
    }

    @Test("fault tls-no-close-notify: the client sees EOF without close_notify")
    func noCloseNotifyCaught() throws {
        let outcome = try tlsHalfClose(.epoll, fault: .tlsNoCloseNotify)
        #expect(outcome.received == outcome.payload, "the echo itself is intact")
        #expect(outcome.end == .truncated, "the stream ended with \(outcome.end)")
    }

    @Test("a peer's EOF without close_notify is counted as a truncation; close_notify is not", arguments: ServerMode.servingTLS)
    func truncationCounted(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode)
        defer { server.stop() }
        let bare = try TLSTestClient(connectingTo: address)
        #expect(bare.roundTrip(Array("ping".utf8)) == Array("ping".utf8))
        try bare.socket.shutdownWrite()
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().tlsTruncations == 1 })
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().active == 0 })

        let orderly = try TLSTestClient(connectingTo: address)
        #expect(orderly.roundTrip(Array("pong".utf8)) == Array("pong".utf8))
        try orderly.sendCloseNotify()
        #expect(orderly.receiveToEnd(timeout: 10).end == .closeNotify)
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().peerEOFs == 2 }, "\(server.stats.snapshot())")
        #expect(server.stats.snapshot().tlsTruncations == 1)
    }

    @Test("several records in one TCP write are all echoed (OpenSSL holds the rest: SSL_pending)", arguments: ServerMode.servingTLS)
    func recordsInOneWrite(mode: ServerMode) throws {
        #expect(try strandedRecords(mode) == nil)
    }

    @Test("fault tls-ignore-pending: the records after the first wait for an edge that never comes")
    func ignorePendingCaught() throws {
        let missing = try strandedRecords(.epollEdge, fault: .tlsIgnorePending)
        #expect(missing != nil && missing! > 0, "every record came back: the fault was not caught")
    }

    @Test("a TLS 1.3 key update mid-stream (requested from the server too) keeps the echo intact", arguments: ServerMode.servingTLS)
    func keyUpdate(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode)
        defer { server.stop() }
        let client = try TLSTestClient(connectingTo: address)
        #expect(client.version == "TLSv1.3")
        let first = patternBytes(count: 100_000, seed: 1)
        #expect(client.roundTrip(first) == first)
        client.requestKeyUpdate()
        let second = patternBytes(count: 100_000, seed: 2)
        #expect(client.roundTrip(second) == second)
        client.requestKeyUpdate()
        #expect(client.roundTrip(first) == first)
    }

    @Test("TLS 1.2 echoes; a client's renegotiation is refused and other connections go on", arguments: ServerMode.servingTLS)
    func renegotiationRefused(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode)
        defer { server.stop() }
        let client = try TLSTestClient(connectingTo: address, maxVersion: TLS1_2_VERSION)
        #expect(client.version == "TLSv1.2")
        let payload = patternBytes(count: 200_000, seed: 3)
        #expect(client.roundTrip(payload) == payload)
        #expect(!client.renegotiate(timeout: 10), "the server renegotiated")
        let other = try TLSTestClient(connectingTo: address, maxVersion: TLS1_2_VERSION)
        #expect(other.roundTrip(payload) == payload)
    }

    @Test("a key update while the server's writes are blocked (its reads must then write) keeps the echo intact",
          arguments: ServerMode.servingTLS)
    func keyUpdateUnderBackPressure(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode, queueLimit: 16 << 20)
        defer { server.stop() }
        let client = try TLSTestClient(connectingTo: address, receiveBuffer: 64 * 1024)
        // More than the kernel buffers on the way back hold (the server's send buffer grows to 4 MiB).
        let blocked = patternBytes(count: 8 << 20, seed: 9)
        try client.sendWithoutReading(blocked)
        // The server has read it all and holds part of it queued: its socket is full.
        #expect(waitUntil(timeout: 20) { server.stats.snapshot().bytesIn == UInt64(blocked.count) })
        #expect(server.stats.snapshot().queueHighWater > 0)
        client.requestKeyUpdate()
        let after = patternBytes(count: 100_000, seed: 10)
        try client.send(after)
        let back = try client.receive(exactly: blocked.count + after.count, timeout: 30)
        #expect(back == blocked + after, "\(mode): the echo differs at \(firstDifference(back, blocked + after) ?? -1)")
    }

    @Test("a client's RST after a TLS exchange is counted as a reset and closed", arguments: ServerMode.servingTLS)
    func resetCounted(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode)
        defer { server.stop() }
        let client = try TLSTestClient(connectingTo: address)
        #expect(client.roundTrip(Array("ping".utf8)) == Array("ping".utf8))
        client.socket.reset()
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().resets == 1 && server.stats.snapshot().active == 0 },
                "\(server.stats.snapshot())")
        #expect(server.stats.snapshot().tlsTruncations == 0)
    }

    @Test("a client that never reads: the server's queue stays bounded over TLS too", arguments: ServerMode.servingTLS)
    func boundedQueue(mode: ServerMode) throws {
        let (highWater, limit) = try tlsNonReadingHighWater(mode)
        // The server reads at most one more record (16 KiB) per SSL_read past the limit.
        #expect(highWater >= UInt64(limit) && highWater <= UInt64(limit + 64 * 1024), "high water \(highWater)")
    }

    @Test("fault unbounded-queue over TLS: the non-reading client's queue passes the limit")
    func unboundedQueueCaught() throws {
        let (highWater, limit) = try tlsNonReadingHighWater(.epoll, fault: .unboundedQueue)
        #expect(highWater > UInt64(limit + 64 * 1024), "high water \(highWater): the fault was not caught")
    }

    @Test("a clear-text client is a handshake failure; the server goes on serving TLS", arguments: [ServerMode.epoll, .busy])
    func clearTextClient(mode: ServerMode) throws {
        let (server, address) = try startTLSServer(mode)
        defer { server.stop() }
        let clear = try LoopbackClient(connectingTo: address)
        try clear.send(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(clear.hasEnded(within: 10))
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().tlsHandshakeFailures == 1 })
        let client = try TLSTestClient(connectingTo: address)
        #expect(client.roundTrip(Array("still".utf8)) == Array("still".utf8))
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().active == 1 })
    }

    @Test("the self-signed certificate names localhost and 127.0.0.1")
    func selfSignedCertificate() throws {
        let (server, address) = try startTLSServer(.epoll)
        defer { server.stop() }
        let client = try TLSTestClient(connectingTo: address)
        #expect(client.peerCertificateMatches(host: "localhost"))
        #expect(client.peerCertificateMatches(ip: "127.0.0.1"))
        #expect(!client.peerCertificateMatches(host: "example.com"))
    }

    @Test("a certificate without its key is refused before anything opens")
    func certificateWithoutKey() {
        var configuration = ServerConfiguration(mode: .epoll)
        configuration.tls = ServerTLS(certificatePath: "/nonexistent/cert.pem")
        #expect(throws: ServerConfigurationError.self) { try EchoServer(configuration: configuration).start() }
        configuration.tls = ServerTLS(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        #expect(throws: TLSSetupError.self) { try EchoServer(configuration: configuration).start() }
    }
}

// MARK: fixtures

func startTLSServer(_ mode: ServerMode, queueLimit: Int = 1 << 20, fault: ServerFault? = nil) throws -> (EchoServer, SocketAddress) {
    var configuration = mode.configuration(queueLimit: queueLimit, fault: fault)
    configuration.tls = ServerTLS()
    let server = EchoServer(configuration: configuration)
    return (server, try server.start())
}

struct TLSHalfCloseOutcome {
    let payload: [UInt8]
    let received: [UInt8]
    let end: TLSStreamEnd
    let sawCloseNotify: Bool
    /// The server's largest queue by the time it had seen the close_notify.
    let queuedAtCloseNotify: UInt64
    let truncations: UInt64
}

/// The client sends 8 MiB then close_notify without reading (its receive buffer is small, so
/// the server holds most of it in its queue when the close_notify arrives), waits until the
/// server has seen it, then reads everything.
func tlsHalfClose(_ mode: ServerMode, fault: ServerFault? = nil) throws -> TLSHalfCloseOutcome {
    let payloadSize = 8 << 20
    let (server, address) = try startTLSServer(mode, queueLimit: 2 * payloadSize, fault: fault)
    defer { server.stop() }
    let payload = patternBytes(count: payloadSize, seed: 0x71F)
    let client = try TLSTestClient(connectingTo: address, receiveBuffer: 64 * 1024)
    try client.sendThenCloseNotifyWithoutReading(payload)
    let saw = waitUntil(timeout: 20) { server.stats.snapshot().peerEOFs >= 1 }
    let queued = server.stats.snapshot().queueHighWater
    let (received, end) = client.receiveToEnd(timeout: 30)
    return TLSHalfCloseOutcome(payload: payload, received: received, end: end, sawCloseNotify: saw,
                               queuedAtCloseNotify: queued, truncations: server.stats.snapshot().tlsTruncations)
}

/// A TLS client sends up to 50 MiB and never reads; returns the server's queue high water once
/// the path has stalled with the queue at its limit (or everything was sent), and the limit.
func tlsNonReadingHighWater(_ mode: ServerMode, fault: ServerFault? = nil) throws -> (UInt64, Int) {
    let limit = 1 << 20
    let (server, address) = try startTLSServer(mode, queueLimit: limit, fault: fault)
    defer { server.stop() }
    let client = try TLSTestClient(connectingTo: address)
    defer { client.socket.reset() }
    _ = try client.sendWithoutReading(upTo: 50 << 20) { server.stats.snapshot().queueHighWater >= UInt64(limit) }
    // The server publishes after each iteration: let it show what it read last.
    waitUntilServerStopsReading(server)
    return (server.stats.snapshot().queueHighWater, limit)
}

/// Sends four small records in one TCP write and waits for all four echoes. Returns nil when
/// every byte came back, else how many bytes are missing after the wait.
func strandedRecords(_ mode: ServerMode, fault: ServerFault? = nil) throws -> Int? {
    let (server, address) = try startTLSServer(mode, fault: fault)
    defer { server.stop() }
    let client = try TLSTestClient(connectingTo: address)
    // A first exchange settles the handshake's last flight (session tickets).
    #expect(client.roundTrip(Array("hello".utf8)) == Array("hello".utf8))
    let records = (1...4).map { patternBytes(count: 100 * $0, seed: UInt64($0)) }
    let total = records.reduce(0) { $0 + $1.count }
    try client.sendRecordsInOneWrite(records)
    // Generous for a correct server; a stranded record never comes without more traffic.
    let back = client.receive(upTo: total, timeout: 3)
    if back.count == total {
        #expect(back == records.flatMap { $0 })
        return nil
    }
    return total - back.count
}
