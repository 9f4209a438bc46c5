// The project's own yardsticks, Benchmarks/reference/echo_ref.c, loadc.c and relay_ref.c: they
// compile without a warning, echo_ref started the way `sockfuzz bench` starts it echoes byte for
// byte in both modes (half-close included), relay_ref moves bytes both ways unchanged and passes
// a half-close on in each direction, and loadc's lines pass the harness's own parser;
// tls_echo_ref echoes over TLS 1.2 and 1.3 and ends with close_notify.

@testable import Bench
import COpenSSL
import Foundation
import Syscalls
import Testing
import TestSupport

@Suite("the C reference programs", .serialized, .sharesDescriptorTable)
struct ReferenceProgramTests {
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/reference").path

    @Test("each compiles with cc -O2 -Wall -Wextra without a warning", .needs(.cc), arguments: ["echo_ref", "loadc", "relay_ref"])
    func compilesCleanly(_ name: String) throws {
        let built = try BuiltReferences()
        let compiler = try ChildProcess([built.cc, "-O2", "-Wall", "-Wextra", "-Werror", "-c", "-o", "\(built.folder)/\(name).o",
                                         "\(Self.sourceFolder)/\(name).c"], logPath: "\(built.folder)/\(name).warnings")
        defer { compiler.stop() }
        #expect(compiler.waitForExit(timeoutNanos: 120_000_000_000), "cc did not finish in 2 minutes")
        #expect(compiler.exitStatus == 0, "\(compiler.logTail(10))")
    }

    @Test("echo_ref echoes every byte back unchanged", .needs(.cc), arguments: [ServerID.refEpoll, .refSelect])
    func echoes(_ id: ServerID) throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(id)
        defer { server.stop() }
        let client = try LoopbackClient(connectingTo: server.address)
        defer { client.close() }

        let hello = Array("hello, echo_ref\n".utf8)
        #expect(try client.echo(hello) == hello)
        // Far more than one 64 KiB read: partial writes and the bounded per-connection buffer.
        let large = patternBytes(count: 4 << 20, seed: 11)
        let back = try client.roundTrip(large)
        #expect(back.count == large.count)
        #expect(firstDifference(back, large) == nil, "first differing byte at \(firstDifference(back, large) ?? -1)")
        server.stop()
        #expect(!server.process.neededKill, "echo_ref ignored SIGTERM")
    }

    @Test("echo_ref echoes everything sent before a half-close, then closes", .needs(.cc), arguments: [ServerID.refEpoll, .refSelect])
    func flushesBeforeClosingHalfClosed(_ id: ServerID) throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(id)
        defer { server.stop() }
        // A small receive window, so echo_ref is still holding unsent bytes when the EOF comes;
        // 160 KiB is sent without reading, which the kernel's smallest buffers on the way still
        // hold (16 KiB send buffer, about 64 KiB window, echo_ref's 64 KiB, 16 KiB back).
        let client = try LoopbackClient(connectingTo: server.address, receiveBuffer: 16 * 1024)
        defer { client.close() }

        let payload = patternBytes(count: 160 * 1024, seed: 12)
        try client.send(payload, timeout: 20)
        try client.shutdownWrite()
        let (back, end) = client.receiveToEnd(timeout: 20)
        #expect(end == .eof)
        #expect(back.count == payload.count)
        #expect(firstDifference(back, payload) == nil, "first differing byte at \(firstDifference(back, payload) ?? -1)")
    }

    @Test("relay_ref relays a 4 MiB stream both ways unchanged, in front of echo_ref", .needs(.cc))
    func relayRefRelaysBothWays() throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(.refEpoll)
        defer { server.stop() }
        let relay = try built.startRelayRef(upstreamPort: server.address.port)
        defer { relay.process.stop() }
        let client = try LoopbackClient(connectingTo: relay.address)
        defer { client.close() }

        let hello = Array("hello, relay_ref\n".utf8)
        #expect(try client.echo(hello) == hello)
        // Far more than one 64 KiB read each way: short writes and the bounded pending buffers.
        let large = patternBytes(count: 4 << 20, seed: 14)
        let back = try client.roundTrip(large)
        #expect(back.count == large.count)
        #expect(firstDifference(back, large) == nil, "first differing byte at \(firstDifference(back, large) ?? -1)")
        relay.process.stop()
        #expect(!relay.process.neededKill, "relay_ref ignored SIGTERM")
    }

    @Test("relay_ref passes a half-close on each way, the other direction still flowing, then closes both", .needs(.cc))
    func relayRefPassesHalfClose() throws {
        let built = try BuiltReferences()
        // The upstream is this test's own socket, so it sees exactly what relay_ref passes on.
        let listener = try Sys.listeningSocket(SocketAddress.loopback(port: 0), backlog: 4)
        defer { Sys.close(listener) }
        let relay = try built.startRelayRef(upstreamPort: try Sys.localAddress(listener).port)
        defer { relay.process.stop() }
        let client = try LoopbackClient(connectingTo: relay.address)
        defer { client.close() }
        let peer = try acceptOne(listener)
        defer { peer.close() }

        try client.send(Array("ping".utf8))
        #expect(try peer.receive(exactly: 4) == Array("ping".utf8))
        try peer.send(Array("pong".utf8))
        #expect(try client.receive(exactly: 4) == Array("pong".utf8))
        // Client -> upstream ends: the upstream sees EOF, and can still send.
        try client.shutdownWrite()
        #expect(peer.receiveToEnd(timeout: 10).end == .eof, "relay_ref passes the client's FIN on")
        let late = patternBytes(count: 100 * 1024, seed: 15) // more than relay_ref's 64 KiB reads
        try peer.send(late, timeout: 20)
        #expect(try client.receive(exactly: late.count, timeout: 20) == late, "the other direction flows after a half-close")
        // Upstream -> client ends too: the client sees EOF, and relay_ref holds nothing but its listener.
        try peer.shutdownWrite()
        #expect(client.receiveToEnd(timeout: 10).end == .eof, "relay_ref passes the upstream's FIN on")
        #expect(waitUntil(timeout: 10) { ProcessProbe.socketCount(relay.process.pid) == 1 },
                "relay_ref still holds \(ProcessProbe.socketCount(relay.process.pid) ?? -1) sockets: it did not close the finished pair")
    }

    private func acceptOne(_ listener: Int32) throws -> LoopbackClient {
        let deadline = Sys.monotonicNanos() &+ 10_000_000_000
        while Sys.monotonicNanos() < deadline {
            if case .processed(let fd) = try Sys.accept(listener) { return LoopbackClient(adopting: fd) }
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 100)
        }
        throw TestSetupError("relay_ref never connected upstream")
    }

    @Test("tls_echo_ref compiles without a warning and echoes over TLS 1.3 and 1.2, a 1 MiB stream unchanged", .needs(.cc))
    func tlsEchoRefEchoes() throws {
        let built = try BuiltReferences(tls: true)
        let compiler = try ChildProcess([built.cc, "-O2", "-Wall", "-Wextra", "-Werror", "-c", "-o", "\(built.folder)/tls_echo_ref.o",
                                         "\(Self.sourceFolder)/tls_echo_ref.c"], logPath: "\(built.folder)/tls_echo_ref.warnings")
        defer { compiler.stop() }
        #expect(compiler.waitForExit(timeoutNanos: 120_000_000_000), "cc did not finish in 2 minutes")
        #expect(compiler.exitStatus == 0, "\(compiler.logTail(10))")

        let server = try ChildProcess([try #require(built.tlsEchoRef), "0"], logPath: "\(built.folder)/tls_echo_ref.log")
        defer { server.stop() }
        let line = try #require(server.waitForLine(containing: "listening on ", timeoutNanos: 10_000_000_000), "\(server.logTail())")
        let port = try #require(ServerUnderTest.parsePort(line))
        for maxVersion: Int32? in [nil, TLS1_2_VERSION] {
            let client = try TLSTestClient(connectingTo: SocketAddress.loopback(port: port), maxVersion: maxVersion)
            #expect(client.version == (maxVersion == nil ? "TLSv1.3" : "TLSv1.2"))
            #expect(client.peerCertificateMatches(host: "localhost"))
            // Many records, partial writes, and the bounded pending buffer.
            let large = patternBytes(count: 1 << 20, seed: 13)
            let back = client.roundTrip(large)
            #expect(back.count == large.count)
            #expect(firstDifference(back, large) == nil, "first differing byte at \(firstDifference(back, large) ?? -1)")
            try client.sendCloseNotify()
            #expect(client.receiveToEnd().end == .closeNotify, "tls_echo_ref answers close_notify with its own")
        }
        server.stop()
        #expect(!server.neededKill, "tls_echo_ref ignored SIGTERM")
    }

    @Test("loadc's ECHO line passes the harness's parser, with messages counted", .needs(.cc))
    func loadcEchoLine() throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(.refEpoll)
        defer { server.stop() }
        let output = try built.runLoadc(["-p", String(server.address.port), "-c", "4", "-d", "4", "-s", "64",
                                         "-t", "0.5", "-w", "0.2"])
        let fields = try #require(BenchRunner.loadcFields(in: output, expect: "ECHO"), "no ECHO line in: \(output)")
        #expect((fields["msgs/s"] ?? 0) > 0, "\(output)")
        #expect(fields["errs"] == 0, "\(output)")
        #expect(fields["p50_us"] != nil && fields["p99_us"] != nil, "\(output)")
    }

    @Test("loadc -V compares every echoed byte with the keyed pattern: a correct echo passes, a garbled one is caught (without -V it is not)",
          .needs(.cc))
    func loadcVerifies() throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(.refEpoll)
        defer { server.stop() }
        let arguments = ["-c", "4", "-d", "4", "-s", "100", "-t", "0.5", "-w", "0.2"]
        let correct = try built.runLoadc(["-p", String(server.address.port), "-V"] + arguments)
        let passed = try #require(BenchRunner.loadcFields(in: correct, expect: "ECHO"), "no ECHO line in: \(correct)")
        #expect(passed["verified"] == 1 && passed["mismatches"] == 0 && passed["errs"] == 0 && (passed["msgs/s"] ?? 0) > 0, "\(correct)")

        // Every connection garbled (each test run gets a server of its own: it numbers
        // connections over its whole life).
        let garbling = try MisbehavingServer(.garblesConnections(once: 1, from: 1))
        defer { garbling.stop() }
        let caught = try built.runLoadc(["-p", String(garbling.port), "-V"] + arguments)
        let failed = try #require(BenchRunner.loadcFields(in: caught, expect: "ECHO"), "no ECHO line in: \(caught)")
        #expect(failed["mismatches"] == 4 && failed["errs"] == 4 && failed["msgs/s"] == 0, "\(caught)")
        let alsoGarbling = try MisbehavingServer(.garblesConnections(once: 1, from: 1))
        defer { alsoGarbling.stop() }
        let unverified = try built.runLoadc(["-p", String(alsoGarbling.port)] + arguments)
        let blind = try #require(BenchRunner.loadcFields(in: unverified, expect: "ECHO"), "no ECHO line in: \(unverified)")
        #expect(blind["errs"] == 0 && (blind["msgs/s"] ?? 0) > 0, "without -V loadc counts garbage as echoes: \(unverified)")
    }

    @Test("loadc's CONNECT line passes the harness's parser, every connection echoed", .needs(.cc))
    func loadcConnectLine() throws {
        let built = try BuiltReferences()
        let server = try built.startEchoRef(.refEpoll)
        defer { server.stop() }
        let output = try built.runLoadc(["-p", String(server.address.port), "-C", "200", "-q", "50"])
        let fields = try #require(BenchRunner.loadcFields(in: output, expect: "CONNECT"), "no CONNECT line in: \(output)")
        #expect(fields["connected"] == 200, "\(output)")
        #expect(fields["echoed"] == 200, "\(output)")
        #expect((fields["connects/s"] ?? 0) > 0, "\(output)")
    }
}

/// Both programs built by `ReferenceTools.build`, as `sockfuzz bench` builds them, into a
/// temporary folder that goes away with this value. Fails the test where cc is missing (the
/// tests are skipped there, except under CI).
final class BuiltReferences {
    let cc: String
    let folder: String
    let echoRef: String
    let loadc: String
    let tlsEchoRef: String?
    let relayRef: String

    init(tls: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        cc = try RequiredTool.cc.requirePath(sourceLocation: sourceLocation)
        var template = Array("\(FileManager.default.temporaryDirectory.path)/sockfuzz-ref-XXXXXX".utf8CString)
        folder = try template.withUnsafeMutableBufferPointer { buffer in
            guard let made = mkdtemp(buffer.baseAddress!) else { throw TestSetupError("mkdtemp failed") }
            return String(cString: made)
        }
        let tools = ReferenceTools.build(refDir: ReferenceProgramTests.sourceFolder, scratch: folder, tls: tls)
        guard let echoRef = tools.echoRef, let loadc = tools.loadc else {
            throw TestSetupError("building the references: \(tools.echoRefProblem ?? "") \(tools.loadcProblem ?? "")")
        }
        self.echoRef = echoRef
        self.loadc = loadc
        guard let relayRef = tools.relayRef else { throw TestSetupError("building relay_ref: \(tools.relayRefProblem ?? "")") }
        self.relayRef = relayRef
        tlsEchoRef = tools.tlsEchoRef
        if tls && tlsEchoRef == nil { throw TestSetupError("building tls_echo_ref: \(tools.tlsEchoRefProblem ?? "")") }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// echo_ref on a free loopback port, once it accepts connections; stopped by its pid.
    func startEchoRef(_ id: ServerID) throws -> ServerUnderTest {
        try ServerUnderTest.start(id, selfExecutable: "", echoRef: echoRef, scratch: folder,
                                  pinning: Pinning(enabled: false, description: "not pinned in tests"))
    }

    /// relay_ref in front of 127.0.0.1:`upstreamPort`, as `sockfuzz bench` starts it. It prints
    /// its port after listen(), so it accepts from then on; no probe connection is made here
    /// (the bench's readiness probe would be one more connection upstream).
    func startRelayRef(upstreamPort: Int) throws -> (process: ChildProcess, address: SocketAddress) {
        let (child, address) = try ServerUnderTest.spawnReportingPort([relayRef, "0", "127.0.0.1", String(upstreamPort)],
                                                                      name: "relay_ref", log: "\(folder)/relay_ref.log",
                                                                      pinning: Pinning(enabled: false, description: "not pinned in tests"))
        return (child, address)
    }

    /// Runs loadc to its end (it bounds its own run time) and returns what it printed.
    func runLoadc(_ arguments: [String]) throws -> String {
        let child = try ChildProcess([loadc] + arguments, logPath: "\(folder)/loadc.log")
        defer { child.stop() }
        guard child.waitForExit(timeoutNanos: 60_000_000_000) else { throw TestSetupError("loadc ran over 60 s") }
        guard child.exitStatus == 0 else {
            throw TestSetupError("loadc exit status \(child.exitStatus ?? -1): \(child.logTail())")
        }
        return child.standardOutput
    }
}
