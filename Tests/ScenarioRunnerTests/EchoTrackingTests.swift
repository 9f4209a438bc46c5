// Sent bytes are kept for the echo check only when a program can run one; the client loop
// failing ends the statement with the syscall and errno; out of descriptors is said in the
// connect's own failure.

import ClientEngine
import Glibc
import ScenarioLanguage
import Syscalls
import Testing
import TestSupport
@testable import ScenarioRunner

@Suite("echo tracking, loop failure, descriptor exhaustion", .serialized)
struct EchoTrackingTests {
    static func program(_ source: String) throws -> [Statement] {
        try ScenarioParser.parse(source: source, file: "t.scn") { _ in "connect d 1\nexpect d echo\n" }.statements
    }

    @Test("echo tracking is kept for expect echo anywhere (repeat, include) and fuzz, and only then")
    func decidedStatically() throws {
        #expect(try ScenarioRunner.needsEchoTracking(Self.program("connect c 1\nrepeat 2 {\n    expect c echo\n}\n")))
        #expect(try ScenarioRunner.needsEchoTracking(Self.program("include more.scn\n")))
        #expect(try ScenarioRunner.needsEchoTracking(Self.program("fuzz runs=1\n")))
        #expect(try !ScenarioRunner.needsEchoTracking(Self.program("connect c 1\nsend c \"PING\\r\\n\"\nexpect c match \"PONG\"\n")))
    }

    @Test("a liveness-style program keeps no sent bytes: 1 MiB to a server that never answers leaves nothing in flight", .sharesDescriptorTable)
    func livenessKeepsNothing() async throws {
        let server = try MisbehavingServer(.silent)
        defer { server.stop() }
        let statements = try Self.program("connect c 1\nsend c random 1MiB\nexpect c match \"never\" within 100ms\n")
        let session = try ScenarioSession(configuration: RunConfiguration(target: Target(try SocketAddress.parse(server.address))))
        defer { session.close() }
        ScenarioRunner.prepare(session.engine, for: statements)
        try session.execute(Array(statements.prefix(2)))
        let sent = session.engine.drive(until: Sys.monotonicNanos() + 10_000_000_000) { !session.engine.view(0).hasPendingOutput }
        #expect(sent)
        #expect(session.engine.view(0).bytesSent == 1 << 20)
        #expect(session.engine.view(0).bytesInFlight == 0)
    }

    @Test("an echo program still keeps what it sent and catches a corrupt echo", .sharesDescriptorTable)
    func echoProgramCatchesCorruption() throws {
        let statements = try Self.program("connect c 1\nsend c random 64KiB\nexpect c echo within 5s\n")
        let result = ScenarioRunner.run(Program(statements: statements), name: "t.scn",
                                        configuration: RunConfiguration(mode: .epoll, fault: .corruptEcho))
        #expect(result.status == .failed)
        #expect(result.failures.first?.seen.contains("first differing byte") == true, "\(result.failures)")
    }

    @Test("a failing epoll_wait ends the statement with the syscall and errno, never a trap", .sharesDescriptorTable)
    func loopFailure() throws {
        let session = try ScenarioSession(configuration: RunConfiguration())
        defer { session.close() }
        session.engine.breakLoopForTesting()
        let sleep = try Self.program("sleep 50ms\n")[0]
        #expect {
            try session.execute(sleep)
        } throws: { error in
            guard case .failed(let failure) = error as? RunStop else { return false }
            return failure.seen.contains("epoll_wait") && failure.seen.contains("errno 9")
        }
    }

    @Test("connects that fail with EMFILE fail the connect, naming errno 24 and the limit", .needsQuietDescriptorTable)
    func descriptorExhaustion() async throws {
        let before = Sys.openFileLimit()
        let limit = openFileLimit(leavingFree: 40)
        #expect(Sys.setOpenFileLimit(limit))
        defer { Sys.setOpenFileLimit(before) }
        let statements = try Self.program("connect c 100\n")
        let result = ScenarioRunner.run(Program(statements: statements), name: "t.scn", configuration: RunConfiguration(mode: .epoll))
        let seen = result.failures.first?.seen ?? ""
        #expect(result.status == .failed)
        #expect(seen.contains("connects failed: Too many open files (errno 24); the limit is \(limit) open files"), "\(seen)")
    }
}
