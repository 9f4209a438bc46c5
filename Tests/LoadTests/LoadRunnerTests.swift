// The load runner's figures on tiny runs: every counted message was verified, a corrupted
// echo is an error, and the open loop shows a server stall in its percentiles (latency from the
// intended send time) where a closed loop would hide it.

import EmbeddedServer
import Foundation
import Glibc
@testable import Load
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("load runner", .serialized, .sharesDescriptorTable)
struct LoadRunnerTests {
    init() { _ = Sys.raiseOpenFileLimit() }

    static func connect(_ count: Int, to address: SocketAddress) throws -> [Int32] {
        let (result, fds) = try ConnectBurst().run(count: count, to: Target(address), inFlight: 100, timeoutNanos: 20_000_000_000)
        #expect(result.echoed == count, "\(result)")
        return fds
    }

    @Test("a closed-loop run counts only verified messages, in every mode", arguments: ServerDesigns.all)
    func closedLoop(_ mode: BackendKind) throws {
        let server = EchoServer(configuration: ServerConfiguration(mode: mode))
        let address = try server.start()
        defer { server.stop() }
        let fds = try Self.connect(20, to: address)
        defer { fds.forEach(Sys.close) }
        let plan = LoadPlan(messageSize: 100, pacing: .depth(4), durationNanos: 300_000_000, warmupNanos: 50_000_000)
        let result = try LoadRunner<EchoLoad>(fds: fds, plan: plan).run()
        #expect(result.messages > 0)
        #expect(result.verified == result.messages)
        #expect(result.errors == 0, "\(result.firstError ?? "")")
        #expect(result.unanswered == 0)
        #expect(result.latencyMicros != nil)
        #expect(result.messagesPerSecond > 0 && result.megabytesPerSecond > 0)
        // Every byte the server echoed was one the generator sent (plus the burst's first bytes).
        let served = server.stats.snapshot()
        #expect(served.bytesOut >= UInt64(result.messages) * 100)
    }

    @Test("a corrupted echo is reported as an error, never counted")
    func corruption() throws {
        let server = EchoServer(configuration: ServerConfiguration(mode: .epoll, fault: .corruptEcho))
        let address = try server.start()
        defer { server.stop() }
        let fds = try Self.connect(3, to: address)
        defer { fds.forEach(Sys.close) }
        let plan = LoadPlan(messageSize: 64, pacing: .depth(2), durationNanos: 200_000_000)
        let result = try LoadRunner<EchoLoad>(fds: fds, plan: plan).run()
        // The burst's byte was offset 0; the fault flips stream offset 100 = message 1, byte 35.
        #expect(result.corrupted == 3)
        #expect(result.firstError?.contains("byte 35 differs") == true, "\(result.firstError ?? "nil")")
        #expect(result.messages <= 3, "only message 0 of each connection is intact")
    }

    @Test("the open loop shows a 600 ms server stall in its high percentiles")
    func openLoopSeesStall() throws {
        let server = EchoServer(configuration: ServerConfiguration(mode: .epoll, fault: .stallSlowReader))
        let address = try server.start()
        defer { server.stop() }
        let fds = try Self.connect(10, to: address)
        defer { fds.forEach(Sys.close) }
        // Once the load is flowing (the server has echoed 100 messages), a slow reader stalls
        // the server's whole loop for 600 ms: that sleep is the stall being measured, not a
        // wait for something to happen.
        let staller = LoopThread()
        staller.start {
            guard waitUntil(timeout: 10, { server.stats.snapshot().bytesOut >= 100 * 64 }) else { return }
            guard let client = try? LoopbackClient(connectingTo: address, receiveBuffer: 16 * 1024) else { return }
            _ = try? client.sendWithoutReading(upTo: 32 << 20, stallMillis: 100, timeout: 10)
            usleep(600_000)
            _ = client.receive(upTo: 32 << 20, timeout: 3)
            client.close()
        }
        let plan = LoadPlan(messageSize: 64, pacing: .rate(.perSecond(2000)), durationNanos: 2_000_000_000)
        let result = try LoadRunner<EchoLoad>(fds: fds, plan: plan).run()
        staller.join()
        let latency = try #require(result.latencyMicros)
        #expect(result.errors == 0, "\(result.firstError ?? "")")
        #expect(latency.max >= 500_000, "max \(latency.max) µs should include the 600 ms stall")
        #expect(latency.p99 >= 200_000, "p99 \(latency.p99) µs: messages due during the stall count from when they were due")
    }
}

@Suite("load figures as JSON")
struct LoadJSONTests {
    @Test("a load result carries every figure under stable keys and decodes back")
    func schema() throws {
        let json = """
        {"connections": 2, "messageSize": 64, "depth": 4, "seconds": 1.5, "messages": 300, "verified": 300,
         "messagesPerSecond": 200, "megabytesPerSecond": 0.0128,
         "latencyMicros": {"p50": 10, "p90": 20, "p99": 30, "p999": 40, "max": 50},
         "corrupted": 0, "connectionErrors": 0, "unanswered": 0, "notSent": 0, "interrupted": false}
        """
        let result = try JSONDecoder().decode(LoadResult.self, from: Data(json.utf8))
        #expect(result.latencyMicros?.p99 == 30 && result.messages == 300 && result.targetRate == nil)
        let data = try JSONEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["connections", "messageSize", "depth", "seconds", "messages", "verified",
                                     "messagesPerSecond", "megabytesPerSecond", "latencyMicros", "corrupted",
                                     "connectionErrors", "unanswered", "notSent", "interrupted"])
        #expect(try JSONDecoder().decode(LoadResult.self, from: data) == result)
        // A missing figure is a schema error, not a silent zero.
        #expect(throws: (any Error).self) { try JSONDecoder().decode(LoadResult.self, from: Data("{\"connections\": 2}".utf8)) }
    }
}

@Suite("load meter: closed seconds")
struct LoadMeterSecondsTests {
    @Test("a long run keeps at most 16 seconds raw (264 KiB each); every second still reaches the result, in order")
    func boundedRawSeconds() {
        var meter = LoadMeter(alive: 1)
        meter.startMeasuring()
        for i in 0..<40 {
            for _ in 0...i { meter.record(1_000 + UInt64(i)) }
            meter.closeInterval(from: UInt64(i) * 1_000_000_000, to: UInt64(i + 1) * 1_000_000_000, measuredStart: 0)
        }
        #expect(meter.seconds.count == LoadMeter.rawSeconds)
        #expect(meter.intervals.count == 40)
        #expect(meter.intervals.map(\.messages) == (0..<40).map { UInt64($0 + 1) })
        #expect(meter.intervals.map(\.startSeconds) == (0..<40).map(Double.init))
    }
}
