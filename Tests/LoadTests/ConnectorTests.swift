// The Connector, the one way every client side opens a connection: clear and TLS opens that
// move bytes through the Transport they return, each way one can fail named as what it is
// (refused, a handshake's reason, the deadline), and the in-flight bound that starts waiters in
// order, skipping those that no longer want to start.

import EmbeddedServer
import Glibc
import Syscalls
import Testing
import TestSupport
import TLSClient
import Vocabulary

@Suite("Connector: opening client connections", .sharesDescriptorTable)
struct ConnectorTests {
    private static func deadline(seconds: UInt64 = 10) -> UInt64 { Sys.monotonicNanos() &+ seconds * 1_000_000_000 }

    /// Sends `text` through `transport` and reads the echo back (poll-driven, bounded).
    private static func echo(_ text: String, _ fd: Int32, _ transport: Transport) throws -> String {
        let bytes = Array(text.utf8)
        let end = deadline()
        guard try transport.send(fd, all: bytes, until: end) else { return "" }
        var back: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while back.count < bytes.count,
              let n = try buffer.withUnsafeMutableBytes({ try transport.receive(fd, $0.baseAddress!, $0.count, until: end) }), n > 0 {
            back += buffer[..<n]
        }
        return String(decoding: back, as: UTF8.self)
    }

    @Test("a clear open gives a socket that echoes; a closed port is refused, by name")
    func clearAndRefused() throws {
        let server = try MisbehavingServer(.echo)
        let address = try SocketAddress.parse(server.address)
        let open = try Connector.open(to: address, until: Self.deadline()).get()
        defer { Sys.close(open.fd) }
        #expect(open.transport.ssl == nil)
        #expect(try Self.echo("clear", open.fd, open.transport) == "clear")
        server.stop()

        let refused = Connector.open(to: address, until: Self.deadline())
        #expect(throws: Connector.Failure.refused) { try refused.get() }
    }

    @Test("the TCP connect under it: open, refused with its errno, and a connect the server never completes ends at the deadline")
    func tcp() throws {
        let server = try MisbehavingServer(.echo)
        let address = try SocketAddress.parse(server.address)
        let fd = try TCPConnect.open(to: address, until: Self.deadline()).get()
        #expect(try Self.echo("tcp", fd, .clear) == "tcp")
        Sys.close(fd)
        server.stop()
        let refused = TCPConnect.open(to: address, until: Self.deadline())
        guard case .failure(let failure) = refused else {
            Issue.record("a closed port accepted a connection")
            return
        }
        #expect(failure.errno == ECONNREFUSED, "\(failure)")

        // A listener that never accepts, its queue full: the kernel drops the next SYN.
        let full = try Sys.listeningSocket(SocketAddress.loopback(port: 0), backlog: 0)
        defer { Sys.close(full) }
        let fullAddress = try Sys.localAddress(full)
        var queued: [Int32] = []
        defer { queued.forEach(Sys.close) }
        var result = TCPConnect.open(to: fullAddress, until: Sys.monotonicNanos() &+ 200_000_000)
        while case .success(let fd) = result, queued.count < 8 {
            queued.append(fd)
            result = TCPConnect.open(to: fullAddress, until: Sys.monotonicNanos() &+ 200_000_000)
        }
        if case .success(let fd) = result { queued.append(fd) }
        #expect(throws: TCPConnect.Failure.timedOut) { try result.get() }
    }

    @Test("a blocking send to a peer that answers without reading hears the answer while it waits, and ends at its deadline")
    func sendWhileAnswered() throws {
        let listener = try Sys.listeningSocket(SocketAddress.loopback(port: 0), backlog: 4)
        defer { Sys.close(listener) }
        let client = try TCPConnect.open(to: try Sys.localAddress(listener), until: Self.deadline()).get()
        defer { Sys.close(client) }
        #expect(Sys.poll(listener, for: Int16(POLLIN), until: Self.deadline()))
        guard case .processed(let server) = try Sys.accept(listener) else {
            Issue.record("no connection to accept")
            return
        }
        defer { Sys.close(server) }
        let tooMuch = [UInt8](repeating: 0x61, count: 64 << 20)  // more than both socket buffers hold

        // The peer never reads: the send fills the socket and waits out its deadline.
        #expect(try Transport.clear.send(client, all: tooMuch, until: Sys.monotonicNanos() &+ 200_000_000) == false)

        // The peer answers meanwhile: the waiting send is told, and stops when told to.
        var answer = Array("early".utf8)
        guard case .processed(5) = try Sys.send(server, &answer, answer.count) else {
            Issue.record("the answer did not go out")
            return
        }
        var heard = 0
        let started = Sys.monotonicNanos()
        let sent = try Transport.clear.send(client, all: tooMuch, until: started &+ 5_000_000_000) {
            heard += 1
            return false
        }
        #expect(!sent && heard == 1 && Sys.monotonicNanos() &- started < 2_000_000_000)
        var buffer = [UInt8](repeating: 0, count: 16)
        let got = try buffer.withUnsafeMutableBytes { try Transport.clear.receive(client, $0.baseAddress!, $0.count, until: Self.deadline()) }
        #expect(got == 5 && buffer.prefix(5) == answer[...])
    }

    @Test("a TLS open handshakes and echoes through its session, its version a value; TLS to a clear server fails with OpenSSL's reason")
    func tls() throws {
        var configuration = ServerConfiguration(mode: .epoll)
        configuration.tls = ServerTLS()
        let server = EchoServer(configuration: configuration)
        let address = try server.start()
        defer { server.stop() }
        let context = try TLSClientContext(ClientTLS(verification: .off))
        let target = Connector.TLSTarget(context, host: "127.0.0.1")
        let open = try Connector.open(to: address, tls: target, until: Self.deadline()).get()
        defer { open.transport.end(); Sys.close(open.fd) }
        #expect(open.transport.ssl != nil)
        #expect(TLSClientContext.negotiated(open.transport.ssl!).version == .tls13)
        #expect(try Self.echo("over tls", open.fd, open.transport) == "over tls")

        let pinned = try TLSClientContext(ClientTLS(verification: .off, version: .tls12))
        let older = try Connector.open(to: address, tls: Connector.TLSTarget(pinned, host: "127.0.0.1"), until: Self.deadline()).get()
        defer { older.transport.end(); Sys.close(older.fd) }
        #expect(TLSClientContext.negotiated(older.transport.ssl!).version == .tls12)

        let clear = try MisbehavingServer(.garbage)
        defer { clear.stop() }
        let failed = Connector.open(to: try SocketAddress.parse(clear.address), tls: target, until: Self.deadline())
        guard case .failure(.handshake(let why)) = failed else {
            Issue.record("expected a handshake failure, got \(failed)")
            return
        }
        #expect(!why.isEmpty && Connector.Failure.handshake(why).errno == EPROTO, "\(why)")
    }

    @Test("a handshake the server never answers ends at the deadline as a timeout")
    func handshakeDeadline() throws {
        let silent = try MisbehavingServer(.neverReads)
        defer { silent.stop() }
        let context = try TLSClientContext(ClientTLS(verification: .off))
        let started = Sys.monotonicNanos()
        let result = Connector.open(to: try SocketAddress.parse(silent.address), tls: Connector.TLSTarget(context, host: "127.0.0.1"),
                                    until: started &+ 200_000_000)
        #expect(throws: Connector.Failure.timedOut) { try result.get() }
        #expect(Sys.monotonicNanos() &- started >= 200_000_000)
    }

    @Test("the in-flight bound starts waiters in order as slots free, skipping those that no longer want to")
    func slots() {
        var slots = ConnectSlots<Int>(limit: 2)
        #expect(slots.take(orQueue: 0) && slots.take(orQueue: 1))
        #expect(!slots.take(orQueue: 2) && !slots.take(orQueue: 3) && !slots.take(orQueue: 4))
        #expect(slots.inFlight == 2)
        #expect(slots.release() == 2)
        #expect(slots.release(to: { $0 != 3 }) == 4, "3 was closed meanwhile: 4 gets the slot")
        #expect(slots.inFlight == 2)
        #expect(slots.release() == nil && slots.release() == nil && slots.inFlight == 0)
        // Nothing waits: a new connect takes a slot at once.
        #expect(slots.take(orQueue: 5) && slots.inFlight == 1)
    }
}
