// Every phase of a load run ends on time and says why it failed: the connect burst's echo
// deadline and its byte comparison, an open loop faster than the client can send, and a failing
// event loop, which ends the run with an error in the result, never a quiet partial pass.

@testable import Load
import EmbeddedServer
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("load bounds and verdicts", .serialized, .sharesDescriptorTable)
struct LoadBoundsTests {
    init() { _ = Sys.raiseOpenFileLimit() }

    private func burst(_ count: Int, to server: MisbehavingServer, echoTimeoutNanos: UInt64 = 300_000_000) throws -> (ConnectBurstResult, [Int32]) {
        try ConnectBurst().run(count: count, to: Target(try SocketAddress.parse(server.address)), inFlight: 100,
                               timeoutNanos: 20_000_000_000, echoTimeoutNanos: echoTimeoutNanos)
    }

    /// An embedded epoll server and two connections to it that echoed their first byte.
    private static func twoConnections() throws -> (EchoServer, [Int32]) {
        let server = EchoServer(configuration: ServerConfiguration(mode: .epoll))
        let (_, fds) = try ConnectBurst().run(count: 2, to: Target(try server.start()))
        return (server, fds)
    }

    @Test("a connect burst to a server that never answers ends at the echo deadline and says so; an echo server passes")
    func echoDeadline() throws {
        let silent = try MisbehavingServer(.neverReads)
        defer { silent.stop() }
        let (result, fds) = try burst(4, to: silent)
        #expect(fds.isEmpty && result.echoed == 0 && result.echoTimeouts == 4, "\(result)")
        #expect(LoadVerdict.problems(result).first?.hasPrefix("no echo within 0.3 s on 4 connection(s): not an echo server?") == true,
                "\(LoadVerdict.problems(result))")

        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let (twin, kept) = try burst(4, to: echo)
        defer { kept.forEach(Sys.close) }
        #expect(twin.echoed == 4 && LoadVerdict.problems(twin).isEmpty, "\(twin)")
    }

    @Test("a connect burst keeps at most its in-flight bound of connections waiting for their echo; the rest wait their turn")
    func inFlightBound() throws {
        let silent = try MisbehavingServer(.neverReads)
        defer { silent.stop() }
        // One at a time: the first waits out its echo deadline before the second may start, and
        // the burst's deadline comes before the third's turn.
        let (result, fds) = try ConnectBurst().run(count: 3, to: Target(try SocketAddress.parse(silent.address)), inFlight: 1,
                                                   timeoutNanos: 600_000_000, echoTimeoutNanos: 400_000_000)
        #expect(fds.isEmpty && result.connected <= 2 && result.connectTimeouts >= 1, "\(result)")
    }

    @Test("a connect burst compares the byte that comes back with the one sent: an HTTP error page is no echo")
    func wrongByte() throws {
        let nginxLike = try MisbehavingServer(.httpError)
        defer { nginxLike.stop() }
        let (result, fds) = try burst(2, to: nginxLike)
        #expect(fds.isEmpty && result.wrongEchoes == 2, "\(result)")
        #expect(result.firstWrongEcho == "sent 'x', got 'H'")
        #expect(LoadVerdict.problems(result).contains { $0.contains("sent 'x', got 'H': not an echo server") })
    }

    @Test("a connect burst whose event loop fails ends at once with the error in its result")
    func burstLoopFails() throws {
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let burst = try ConnectBurst()
        burst.loop.close()  // the next epoll_wait fails with EBADF
        let (result, fds) = burst.run(count: 3, to: Target(try SocketAddress.parse(echo.address)))
        fds.forEach(Sys.close)
        #expect(result.clientError?.contains("epoll_wait") == true, "\(result)")
        #expect(LoadVerdict.problems(result).contains { $0.contains("event loop failed") })
    }

    @Test("a load run whose event loop fails ends with the error counted, never a quiet pass")
    func loadLoopFails() throws {
        let (server, fds) = try Self.twoConnections()
        defer { fds.forEach(Sys.close); server.stop() }
        let generator = try LoadRunner<EchoLoad>(fds: fds, plan: LoadPlan(messageSize: 64, pacing: .depth(2), durationNanos: 5_000_000_000))
        generator.loop.close()
        let result = generator.run()
        #expect(result.clientError?.contains("epoll_wait") == true, "\(result)")
        #expect(result.errors >= 1 && result.firstError == result.clientError)
        #expect(result.seconds < 4, "the run ended when its loop failed, not at its duration")
        #expect(!LoadVerdict.problems(result).isEmpty)
    }

    @Test("an open loop faster than the client can send ends at its duration and counts what it did not send")
    func saturatedOpenLoop() throws {
        let (server, fds) = try Self.twoConnections()
        defer { fds.forEach(Sys.close); server.stop() }
        let plan = LoadPlan(messageSize: 64, pacing: .rate(.perSecond(Int(LoadPacing.maxRatePerSecond))), durationNanos: 300_000_000)
        let started = nowNanos()
        let result = try LoadRunner<EchoLoad>(fds: fds, plan: plan).run()
        #expect(elapsedSeconds(since: started) < 10, "took \(elapsedSeconds(since: started)) s for 0.3 s and a 2 s drain")
        #expect(result.notSent > 0 && result.errors == 0, "\(result)")
        #expect(LoadVerdict.problems(result).contains { $0.hasPrefix("not sent \(result.notSent) (client saturated") })
    }

    @Test("an open loop the client keeps up with sends everything it was asked to (the twin)")
    func unsaturatedOpenLoop() throws {
        let (server, fds) = try Self.twoConnections()
        defer { fds.forEach(Sys.close); server.stop() }
        let plan = LoadPlan(messageSize: 64, pacing: .rate(.perSecond(200)), durationNanos: 300_000_000)
        let result = try LoadRunner<EchoLoad>(fds: fds, plan: plan).run()
        #expect(result.notSent == 0 && result.unanswered == 0 && result.errors == 0, "\(result)")
        #expect(LoadVerdict.problems(result).isEmpty)
    }
}
