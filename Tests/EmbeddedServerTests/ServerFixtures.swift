// What the server tests share: the server modes, starting a server, and the checks that the
// fault tests prove can fail (flush on half-close, bounded queue for a non-reading client).

import EmbeddedServer
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

/// One way to run the server: each BackendKind, plus epoll edge-triggered.
struct ServerMode: Sendable, CustomTestStringConvertible {
    let kind: BackendKind
    let edgeTriggered: Bool

    static let busy = ServerMode(kind: .busy, edgeTriggered: false)
    static let select = ServerMode(kind: .select, edgeTriggered: false)
    static let epoll = ServerMode(kind: .epoll, edgeTriggered: false)
    static let epollEdge = ServerMode(kind: .epoll, edgeTriggered: true)
    static let uring = ServerMode(kind: .uring, edgeTriggered: false)
    static let all: [ServerMode] = [.busy, .select, .epoll, .epollEdge] + (ServerDesigns.uringRuns ? [.uring] : [])
    /// The designs that serve TLS (uring does not, yet: it refuses, saying so).
    static let servingTLS: [ServerMode] = all.filter { $0.kind != .uring }

    var testDescription: String { edgeTriggered ? "epoll-edge" : kind.rawValue }

    /// Whether the loop sleeps in the kernel when idle (busy spins by design).
    var waits: Bool { kind != .busy }

    func configuration(queueLimit: Int = 1 << 20, fault: ServerFault? = nil) -> ServerConfiguration {
        ServerConfiguration(mode: kind, host: "127.0.0.1", port: 0, edgeTriggered: edgeTriggered,
                            queueLimit: queueLimit, fault: fault)
    }
}

/// Starts a server on 127.0.0.1, port 0. The caller stops it (`defer { server.stop() }`).
func startServer(_ mode: ServerMode, queueLimit: Int = 1 << 20, fault: ServerFault? = nil) throws -> (EchoServer, SocketAddress) {
    let server = EchoServer(configuration: mode.configuration(queueLimit: queueLimit, fault: fault))
    let address = try server.start()
    return (server, address)
}

/// A fresh connection that echoes a message: the server is (still) serving.
func freshConnectionEchoes(_ address: SocketAddress, _ text: String = "still serving") -> Bool {
    guard let client = try? LoopbackClient(connectingTo: address),
          let back = try? client.echo(Array(text.utf8)) else { return false }
    return back == Array(text.utf8)
}

// MARK: the half-close flush check

struct HalfCloseOutcome {
    let payload: [UInt8]
    let received: [UInt8]
    let end: StreamEnd
    /// The server's largest queue by the time it had seen the client's EOF.
    let queuedAtEOF: UInt64
    let sawEOF: Bool

    /// Every byte came back, in order, and then an orderly EOF.
    var flushedEverything: Bool {
        end == .eof && received.count == payload.count && firstDifference(received, payload) == nil
    }

    var summary: String {
        "received \(received.count) of \(payload.count) bytes, then \(end); server queue held \(queuedAtEOF) bytes at EOF"
    }
}

/// The client sends `payloadSize` bytes without reading, shuts down its write side, waits until
/// the server has seen that EOF, then reads everything. The client's small receive buffer and
/// the server's large queue limit make the server hold megabytes in its queue at EOF time, so a
/// server that closes on EOF without flushing loses them.
///
/// With `shutDown: false` the client keeps its write side open and reads exactly the payload
/// size after the server has read everything (`end` is then `.timedOut` or how it failed).
func halfCloseRoundTrip(_ mode: ServerMode, fault: ServerFault? = nil, payloadSize: Int = 8 << 20,
                        shutDown: Bool = true) throws -> HalfCloseOutcome {
    let (server, address) = try startServer(mode, queueLimit: 2 * payloadSize, fault: fault)
    defer { server.stop() }
    let payload = patternBytes(count: payloadSize, seed: 0x4A1F)
    let client = try LoopbackClient(connectingTo: address, receiveBuffer: 64 * 1024)
    try client.send(payload, timeout: 30)
    if shutDown { try client.shutdownWrite() }
    let sawEOF = waitUntil(timeout: 20) {
        let s = server.stats.snapshot()
        return shutDown ? s.peerEOFs >= 1 : s.bytesIn == UInt64(payloadSize)
    }
    let queued = server.stats.snapshot().queueHighWater
    if shutDown {
        let (received, end) = client.receiveToEnd(timeout: 30)
        return HalfCloseOutcome(payload: payload, received: received, end: end, queuedAtEOF: queued, sawEOF: sawEOF)
    }
    let (received, end) = client.receive(upTo: payloadSize, timeout: 15)
    return HalfCloseOutcome(payload: payload, received: received, end: end, queuedAtEOF: queued, sawEOF: sawEOF)
}

// MARK: the bounded-queue check

struct NonReadingOutcome {
    let queueLimit: Int
    let offered: Int
    let sent: Int
    let highWater: UInt64

    /// At most one read (64 KiB) past the limit.
    var staysBounded: Bool { highWater <= UInt64(queueLimit + 64 * 1024) }

    var summary: String {
        "client sent \(sent) of \(offered) bytes; queue high water \(highWater) with limit \(queueLimit)"
    }
}

/// A client sends up to `offered` bytes and never reads, until the path stops taking bytes.
/// Reports the server's queue high water once the queue has reached the limit (or everything
/// was sent). The client resets the connection at the end.
func nonReadingClient(_ mode: ServerMode, queueLimit: Int, fault: ServerFault? = nil, offered: Int = 50 << 20) throws -> NonReadingOutcome {
    let (server, address) = try startServer(mode, queueLimit: queueLimit, fault: fault)
    defer { server.stop() }
    let client = try LoopbackClient(connectingTo: address)
    defer { client.reset() }
    // Stalled, and the server's queue has reached its limit: the path is full, not slow.
    let sent = try client.sendWithoutReading(upTo: offered, stallMillis: 500, timeout: 30) {
        server.stats.snapshot().queueHighWater >= UInt64(queueLimit)
    }
    // The server publishes after each iteration; wait for the queue to show the pressure, then
    // until the server has stopped reading, so a server that ignores the limit has had the time
    // to show it: sampling at once raced its reads.
    waitUntil(timeout: 10) { server.stats.snapshot().queueHighWater >= UInt64(queueLimit) }
    waitUntilServerStopsReading(server)
    return NonReadingOutcome(queueLimit: queueLimit, offered: offered, sent: sent,
                             highWater: server.stats.snapshot().queueHighWater)
}

/// Waits (at most 15 s) until the server's bytes-in count has not changed for 300 ms.
func waitUntilServerStopsReading(_ server: EchoServer) {
    var last = server.stats.snapshot().bytesIn
    var steadySince = nowNanos()
    waitUntil(timeout: 15) {
        let now = server.stats.snapshot().bytesIn
        if now != last { last = now; steadySince = nowNanos() }
        return nowNanos() - steadySince >= 300_000_000
    }
}

/// A listening IPv4 socket bound to `address` (port 0: a free one), not the server's: for tests
/// that look at the descriptor table from outside it. The caller closes it.
func listeningSocket(on address: SocketAddress) throws -> Int32 {
    let fd = try Sys.socket(family: AF_INET)
    do {
        try Sys.bind(fd, address)
        try Sys.listen(fd, backlog: 4)
    } catch {
        Glibc.close(fd)
        throw error
    }
    return fd
}

/// The next connection the non-blocking `listener` accepts, waited for up to 10 s. The caller closes it.
func acceptOne(_ listener: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
    var accepted: Int32 = -1
    try #require(waitUntil(timeout: 10) {
        if case .processed(let fd)? = try? Sys.accept(listener) { accepted = fd }
        return accepted >= 0
    }, "no connection accepted within 10 s", sourceLocation: sourceLocation)
    return accepted
}
