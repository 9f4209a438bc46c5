// The proxy between a client and the embedded echo server: bytes pass intact both ways in every
// loop design, and each toxic does what it says to the client's view of the stream. Each toxic's
// test compares with the same exchange through the proxy without it, so a toxic that did nothing
// fails. Time is only ever judged as a lower bound a toxic must impose (or, for toxicity 0, as a
// bound seconds wide), never as a race.

import EmbeddedServer
import Framing
import Glibc
@testable import Proxy
import Reactor
import Syscalls
import Testing
import TestSupport
import Vocabulary

/// An echo server and a proxy in front of it, stopped together.
final class ProxiedEcho {
    let echo: EchoServer
    let proxies: ProxyServer
    let listen: SocketAddress

    init(mode: BackendKind = .epoll, framing: Framing? = nil, toxics: [String] = []) throws {
        echo = EchoServer(configuration: ServerConfiguration(mode: .epoll, host: "127.0.0.1", port: 0))
        let upstream = try echo.start()
        proxies = try ProxyServer(mode: mode, seed: 7)
        let info = try proxies.create(name: "echo", listen: "127.0.0.1:0", upstream: "\(upstream)", framing: framing)
        for text in toxics { _ = try proxies.addToxic(proxy: "echo", try ToxicText.parse(text.split(separator: " "))) }
        listen = try SocketAddress.parse(info.listen)
    }

    func client() throws -> LoopbackClient { try LoopbackClient(connectingTo: listen) }

    var counters: ProxyCounters { (try? proxies.get("echo").counters) ?? ProxyCounters() }

    deinit {
        proxies.stop()
        echo.stop()
    }
}

@Suite("proxy: pass-through and each toxic", .sharesDescriptorTable)
struct ToxicBehaviourTests {
    @Test("with no toxic, 1 MiB goes through and back intact, and a half-close passes on as one", arguments: BackendKind.pollers)
    func passThrough(mode: BackendKind) throws {
        let setup = try ProxiedEcho(mode: mode)
        let client = try setup.client()
        let payload = patternBytes(count: 1 << 20, seed: 3)
        let back = try client.roundTrip(payload)
        #expect(back.count == payload.count)
        #expect(firstDifference(back, payload) == nil)
        try client.send(Array("tail".utf8))
        try client.shutdownWrite()
        let rest = client.receiveToEnd()
        #expect(rest.bytes == Array("tail".utf8))
        #expect(rest.end == .eof)
        #expect(waitUntil { setup.counters.active == 0 })
        #expect(setup.counters.bytesUpstream == UInt64(payload.count + 4))
        #expect(setup.counters.bytesDownstream == UInt64(payload.count + 4))
    }

    @Test("latency holds every reply back at least its time; removing it lets replies through at once")
    func latency() throws {
        let setup = try ProxiedEcho(toxics: ["latency latency=300ms"])
        let client = try setup.client()
        var start = nowNanos()
        #expect(try client.echo(Array("ping".utf8)) == Array("ping".utf8))
        #expect(elapsedSeconds(since: start) >= 0.3)
        try setup.proxies.removeToxic(proxy: "echo", name: "latency_downstream")
        // Put back with a latency no loaded machine reaches by itself: what comes must not wait it out.
        _ = try setup.proxies.addToxic(proxy: "echo", try ToxicText.parse(["latency", "latency=5s", "toxicity=0", "name=never"]))
        start = nowNanos()
        #expect(try client.echo(Array("pong".utf8)) == Array("pong".utf8))
        #expect(elapsedSeconds(since: start) < 4, "a toxic with toxicity 0 applied")
    }

    @Test("bandwidth paces a reply to its rate")
    func bandwidth() throws {
        let setup = try ProxiedEcho(toxics: ["bandwidth rate=4KB/s"])
        let client = try setup.client()
        let payload = patternBytes(count: 4000, seed: 1)
        let start = nowNanos()
        #expect(try client.echo(payload, timeout: 20) == payload)
        // 4000 bytes at 4000 B/s, sent in tenths of a second: the last tenth leaves at 1 s.
        #expect(elapsedSeconds(since: start) >= 0.9)
    }

    @Test("slicer re-cuts a reply into small pieces delay apart, every byte in order")
    func slicer() throws {
        let setup = try ProxiedEcho(toxics: ["slicer average_size=10 size_variation=5 delay=5ms"])
        let client = try setup.client()
        let payload = patternBytes(count: 1000, seed: 2)
        let start = nowNanos()
        #expect(try client.echo(payload, timeout: 20) == payload)
        // At most 15 bytes a piece: at least 66 pieces, 5 ms apart.
        #expect(elapsedSeconds(since: start) >= 0.3)
    }

    @Test("timeout forwards nothing and closes the connection after its time")
    func timeout() throws {
        let setup = try ProxiedEcho(toxics: ["timeout timeout=500ms upstream"])
        let client = try setup.client()
        try client.send(Array("lost".utf8))
        let outcome = client.receiveToEnd(timeout: 20)
        #expect(outcome.bytes.isEmpty, "bytes went through a timeout toxic")
        #expect(outcome.end == .eof)
        #expect(setup.counters.bytesDropped == 4)
    }

    @Test("timeout closes only after its time of silence: data that arrives, and goes nowhere, starts the wait again (as toxiproxy)")
    func timeoutWaitsForSilence() throws {
        let setup = try ProxiedEcho(toxics: ["timeout timeout=2s upstream"])
        let client = try setup.client()
        let start = nowNanos()
        // A byte every 100 ms for a second: the timeout never sees 2 s of silence (a stall of
        // this machine would have to last 1.9 s to close it early).
        for _ in 0..<10 {
            try client.send(Array("x".utf8))
            usleep(100_000)
        }
        let outcome = client.receiveToEnd(timeout: 20)
        #expect(outcome.bytes.isEmpty && outcome.end == .eof)
        // The last byte left at 0.9 s or later: 2 s of silence after it.
        #expect(elapsedSeconds(since: start) >= 2.85, "closed after \(elapsedSeconds(since: start)) s, before 2 s of silence")
    }

    @Test("bandwidth at rate 0 (through the API, as toxiproxy's default) is no limit")
    func bandwidthZero() throws {
        let setup = try ProxiedEcho()
        _ = try setup.proxies.addToxic(proxy: "echo", try Toxic(name: nil, type: .bandwidth, stream: .downstream, toxicity: 1, attributes: ["rate": 0]))
        let payload = patternBytes(count: 100_000, seed: 9)
        #expect(try setup.client().echo(payload, timeout: 20) == payload)
    }

    @Test("limit_data added to an open connection counts from then, not from the connection's start")
    func limitDataCountsFromItsStart() throws {
        let setup = try ProxiedEcho()
        let client = try setup.client()
        #expect(try client.echo(patternBytes(count: 100, seed: 6)) == patternBytes(count: 100, seed: 6))
        _ = try setup.proxies.addToxic(proxy: "echo", try ToxicText.parse(["limit_data", "bytes=50"]))
        // 80 bytes more: the 50 allowed from now come back, then the end (it does apply).
        try client.send(patternBytes(count: 80, seed: 7))
        let outcome = client.receive(upTo: 80, timeout: 20)
        #expect(outcome.bytes == Array(patternBytes(count: 80, seed: 7).prefix(50)) && outcome.end == .eof,
                "\(outcome.bytes.count) bytes, then \(outcome.end)")
    }

    @Test("a toxic's toxicity changed from 0 to 1 acts on open connections too (drawn again, as toxiproxy does)")
    func toxicityUpdateActsOnOpenConnections() throws {
        let setup = try ProxiedEcho(toxics: ["latency latency=400ms toxicity=0"])
        let client = try setup.client()
        #expect(try client.echo(Array("a".utf8)) == Array("a".utf8))
        _ = try setup.proxies.updateToxic(proxy: "echo", name: "latency_downstream", attributes: [:], toxicity: 1)
        let start = nowNanos()
        #expect(try client.echo(Array("b".utf8)) == Array("b".utf8))
        #expect(elapsedSeconds(since: start) >= 0.4, "the updated toxic did not act on the open connection")
    }

    @Test("an updated toxic counts a connection once, and limit_data counts from when its draw first applied it")
    func updatesCountOnceAndLimitFromApplying() throws {
        let setup = try ProxiedEcho(toxics: ["limit_data bytes=50 toxicity=0"])
        let client = try setup.client()
        // 100 bytes while the toxic does not apply: they do not count against its 50.
        #expect(try client.echo(patternBytes(count: 100, seed: 11)) == patternBytes(count: 100, seed: 11))
        _ = try setup.proxies.updateToxic(proxy: "echo", name: "limit_data_downstream", attributes: [:], toxicity: 1)
        // 30 of its 50 bytes, then two more updates: they draw again, but keep counting from the first.
        #expect(try client.echo(patternBytes(count: 30, seed: 12)) == patternBytes(count: 30, seed: 12))
        for _ in 0..<2 {
            _ = try setup.proxies.updateToxic(proxy: "echo", name: "limit_data_downstream", attributes: [:], toxicity: 1)
        }
        try client.send(patternBytes(count: 40, seed: 13))
        let rest = client.receive(upTo: 40, timeout: 20)
        #expect(rest.bytes == Array(patternBytes(count: 40, seed: 13).prefix(20)) && rest.end == .eof, "\(rest.bytes.count) bytes, then \(rest.end)")
        #expect(setup.counters.toxicConnections["limit_data_downstream"] == 1, "\(setup.counters.toxicConnections)")
    }

    @Test("the slicer spaces slices delay apart across reads, not only within one")
    func slicerPacesAcrossReads() throws {
        let setup = try ProxiedEcho(toxics: ["slicer average_size=1 delay=10ms"])
        let client = try setup.client()
        let start = nowNanos()
        var sent: [UInt8] = []
        // Ten writes of ten bytes, 20 ms apart: 100 one-byte slices need 1 s whatever the reads.
        for i in 0..<10 {
            let piece = patternBytes(count: 10, seed: UInt64(20 + i))
            sent += piece
            try client.send(piece)
            usleep(20_000)
        }
        let outcome = client.receive(upTo: 100, timeout: 20)
        #expect(outcome.bytes == sent)
        #expect(elapsedSeconds(since: start) >= 0.95, "100 slices 10 ms apart took \(elapsedSeconds(since: start)) s")
    }

    @Test("reset_peer resets the connection on the first data; with bytes= after that many")
    func resetPeer() throws {
        let setup = try ProxiedEcho(toxics: ["reset_peer timeout=0 upstream"])
        let client = try setup.client()
        try client.send(Array("boom".utf8))
        let outcome = client.receiveToEnd(timeout: 20)
        #expect(outcome.bytes.isEmpty)
        #expect(outcome.end == .error(ECONNRESET))

        let counted = try ProxiedEcho(toxics: ["reset_peer bytes=50"])
        let second = try counted.client()
        try second.send(patternBytes(count: 100, seed: 4))
        let cut = second.receive(upTo: 100, timeout: 20)
        #expect(cut.bytes == Array(patternBytes(count: 100, seed: 4).prefix(50)))
        #expect(cut.end == .error(ECONNRESET))
        #expect(waitUntil { counted.counters.resets == 1 })
    }

    @Test("limit_data closes the connection once that many bytes went through")
    func limitData() throws {
        let setup = try ProxiedEcho(toxics: ["limit_data bytes=50"])
        let client = try setup.client()
        try client.send(patternBytes(count: 100, seed: 5))
        let outcome = client.receive(upTo: 100, timeout: 20)
        #expect(outcome.bytes == Array(patternBytes(count: 100, seed: 5).prefix(50)))
        #expect(outcome.end == .eof)
    }

    @Test("slow_close holds the FIN back for its delay")
    func slowClose() throws {
        let setup = try ProxiedEcho(toxics: ["slow_close delay=400ms"])
        let client = try setup.client()
        #expect(try client.echo(Array("bye".utf8)) == Array("bye".utf8))
        let start = nowNanos()
        try client.shutdownWrite()
        #expect(client.receiveToEnd(timeout: 20).end == .eof)
        #expect(elapsedSeconds(since: start) >= 0.4)
    }

    @Test("half_close ends one direction: the client reads EOF while it may still send")
    func halfClose() throws {
        let setup = try ProxiedEcho(toxics: ["half_close timeout=0"])
        let client = try setup.client()
        #expect(client.receiveToEnd(timeout: 20).end == .eof)
        try client.send(Array("still sending".utf8))
        #expect(waitUntil { setup.counters.bytesUpstream == 13 })
    }

    @Test("stall bursts hold bytes in bad periods and lose none")
    func stall() throws {
        let setup = try ProxiedEcho(toxics: ["stall good=20ms bad=50ms"])
        let client = try setup.client()
        let payload = patternBytes(count: 256 * 1024, seed: 6)
        let back = try client.roundTrip(payload, timeout: 60)
        #expect(back.count == payload.count)
        #expect(firstDifference(back, payload) == nil)
    }

    @Test("an unreachable upstream closes the client's connection and is counted")
    func unreachableUpstream() throws {
        let port = try Sys.freeLoopbackPort()
        let proxies = try ProxyServer(seed: 1)
        defer { proxies.stop() }
        let info = try proxies.create(name: "nowhere", listen: "127.0.0.1:0", upstream: "127.0.0.1:\(port)")
        let client = try LoopbackClient(connectingTo: try SocketAddress.parse(info.listen))
        #expect(client.hasEnded(within: 20))
        #expect(waitUntil { (try? proxies.get("nowhere").counters.upstreamFailures) == 1 })
    }

    @Test("off refuses new connections and drops open ones; on accepts again")
    func offAndOn() throws {
        let setup = try ProxiedEcho()
        let open = try setup.client()
        _ = try setup.proxies.update(name: "echo", enabled: false)
        #expect(open.hasEnded(within: 20))
        #expect(throws: (any Error).self) { _ = try LoopbackClient(connectingTo: setup.listen, timeout: 5) }
        _ = try setup.proxies.update(name: "echo", enabled: true)
        let again = try setup.client()
        #expect(try again.echo(Array("back".utf8)) == Array("back".utf8))
    }
}

@Suite("proxy: the stall toxic's channel")
struct StallClockTests {
    @Test("Gilbert-Elliott periods: bytes in a bad period wait for its end, and the bad share of time is about bad/(good+bad)")
    func badShare() {
        var clock = StallClock()
        var random = SeededRandom(seed: 11)
        let ms: UInt64 = 1_000_000
        var held = 0
        let samples = 20_000
        for i in 0..<samples {
            let time = UInt64(i) * ms
            let release = clock.release(at: time, goodNanos: 30 * ms, badNanos: 10 * ms, random: &random)
            #expect(release >= time)
            if release > time { held += 1 }
        }
        // 10 / (30 + 10) = 25% of instants fall in a bad period; 20 s of 40 ms cycles averages well.
        let share = Double(held) / Double(samples)
        #expect(share > 0.15 && share < 0.35, "bad share \(share)")
    }
}
