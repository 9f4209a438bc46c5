// The misbehaving servers the command-line tests aim `sockfuzz` at do exactly what their names
// say, checked with a plain blocking client, so a test's verdict is about sockfuzz, not them.

import Glibc
import Syscalls
import Testing
import TestSupport

@Suite("Misbehaving test servers", .childSlot, .serialized)
struct MisbehavingServerTests {
    private func client(_ server: MisbehavingServer) throws -> LoopbackClient {
        try LoopbackClient(connectingTo: try SocketAddress.parse(server.address))
    }

    @Test("echo echoes every byte")
    func echo() throws {
        let server = try MisbehavingServer(.echo)
        let payload = patternBytes(count: 10_000, seed: 1)
        #expect(try client(server).roundTrip(payload) == payload)
    }

    @Test("echoes-first-N echoes N bytes and then nothing")
    func prefix() throws {
        let server = try MisbehavingServer(.echoesFirst(100))
        let c = try client(server)
        try c.send(patternBytes(count: 1000, seed: 2))
        let got = c.receive(upTo: 1000, timeout: 1)
        #expect(got.bytes == Array(patternBytes(count: 1000, seed: 2).prefix(100)))
    }

    @Test("late-byte sends one unasked byte after the echo")
    func lateByte() throws {
        let server = try MisbehavingServer(.lateByte(delayMillis: 100))
        let c = try client(server)
        try c.send(Array("hello".utf8))
        #expect(try c.receive(exactly: 6, timeout: 10) == Array("hello!".utf8))
    }

    @Test("resets-every-connection resets")
    func resets() throws {
        let server = try MisbehavingServer(.resetsEveryConnection)
        // The reset can beat the client's connect to the finish: then connect itself reports it.
        let c: LoopbackClient
        do { c = try client(server) } catch let error as SystemError where error.errno == ECONNRESET { return }
        #expect(c.receiveToEnd(timeout: 10).end == .error(ECONNRESET))
    }

    @Test("http-error answers 400 and closes")
    func httpError() throws {
        let server = try MisbehavingServer(.httpError)
        let c = try client(server)
        try c.send(Array("x".utf8))
        let got = c.receiveToEnd(timeout: 10)
        #expect(String(decoding: got.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(got.end == .eof)
    }
}
