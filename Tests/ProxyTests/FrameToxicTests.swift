// The frame-aware toxics on a line-framed proxy in front of the echo server: each acts on the
// requests (upstream) or replies (downstream) it selects, whole, and on no other; frames are
// counted across the proxy's connections; bytes a toxic held wait for their frame, and go on
// when the toxic is removed; a stream that will not frame goes on as bytes.

import EmbeddedServer
import Framing
import Glibc
import Proxy
import Syscalls
import Testing
import TestSupport

@Suite("proxy: frame-aware toxics", .sharesDescriptorTable)
struct FrameToxicTests {
    private func lines(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("drop discards the nth request only, and frames are counted across connections")
    func dropNth() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["drop nth=3 upstream"])
        let first = try setup.client()
        try first.send(lines("a\nb\n"))
        #expect(try first.receive(exactly: 4) == lines("a\nb\n"))
        let second = try setup.client()
        // The third request the proxy sees is this connection's first.
        try second.send(lines("c\nd\n"))
        #expect(try second.receive(exactly: 2) == lines("d\n"))
        #expect(setup.counters.framesActedOn["drop_upstream"] == 1)
    }

    @Test("duplicate and corrupt act on the replies that match, whole")
    func duplicateAndCorrupt() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: [#"duplicate match="^dup" count=0"#, #"corrupt match="^bad""#])
        let client = try setup.client()
        try client.send(lines("dup1\nplain\ndup2\nbad!\n"))
        let got = try client.receive(exactly: 5 * 2 + 6 + 5 * 2 + 5)
        #expect(Array(got.prefix(16)) == lines("dup1\ndup1\nplain\n"))
        #expect(Array(got[16..<26]) == lines("dup2\ndup2\n"))
        let damaged = Array(got[26...])
        #expect(damaged != lines("bad!\n"), "corrupt left the reply whole")
        #expect(zip(damaged, lines("bad!\n")).filter { $0 != $1 }.count == 1, "corrupt must flip exactly one byte")
    }

    @Test("answer replies in the server's place; the server never sees the request")
    func answer() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: [#"answer match="^PING" count=0 reply="+PONG\r\n" upstream"#])
        let client = try setup.client()
        try client.send(lines("PING\n"))
        #expect(try client.receive(exactly: 7) == lines("+PONG\r\n"))
        try client.send(lines("echo\n"))
        #expect(try client.receive(exactly: 5) == lines("echo\n"))
        // The server echoed "echo\n", so it has read it; a PING that got through came before it.
        #expect(waitUntil { setup.echo.stats.snapshot().bytesIn >= 5 })
        #expect(setup.echo.stats.snapshot().bytesIn == 5)
    }

    @Test("delay holds the chosen reply back at least its time, and what follows waits behind it")
    func delay() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["delay delay=300ms nth=1"])
        let client = try setup.client()
        let start = nowNanos()
        try client.send(lines("slow\nnext\n"))
        #expect(try client.receive(exactly: 10) == lines("slow\nnext\n"))
        #expect(elapsedSeconds(since: start) >= 0.3)
    }

    @Test("a partial frame held by a toxic goes on when the toxic is removed")
    func heldBytesReleased() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["drop nth=100 upstream"])
        let client = try setup.client()
        try client.send(lines("no end of line yet"))
        #expect(client.receive(upTo: 1, timeout: 0.3).bytes.isEmpty, "a partial frame went on under a frame toxic")
        try setup.proxies.removeToxic(proxy: "echo", name: "drop_upstream")
        #expect(try client.receive(exactly: 18) == lines("no end of line yet"))
    }

    @Test("a frame-aware toxic needs the proxy's framing")
    func needsFraming() throws {
        let setup = try ProxiedEcho()
        #expect(throws: ProxyError.self) { _ = try setup.proxies.addToxic(proxy: "echo", try ToxicText.parse(["drop"])) }
        #expect(throws: ToxicError.self) { _ = try ToxicText.parse(["answer", "reply=x"]) }
        #expect(throws: ToxicError.self) { _ = try ToxicText.parse(["latency", "match=x"]) }
    }

    @Test("a request that will not frame (past 64 KiB without a line end) goes on as bytes")
    func unframeableStreamPassesOn() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["drop nth=1000 upstream"])
        let client = try setup.client()
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 100 * 1024)
        let back = try client.roundTrip(payload)
        #expect(back.count == payload.count)
    }
}

@Suite("proxy: reorder across connections", .sharesDescriptorTable)
struct ReorderToxicTests {
    @Test("reorder holds a reply until another connection's is held too, and that connection's later replies wait behind it")
    func holdsUntilWindowFills() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["reorder window=2 delay=20s"])
        let a = try setup.client()
        try a.send(Array("a1\n".utf8))
        try a.send(Array("a2\n".utf8))
        #expect(a.receive(upTo: 1, timeout: 0.3).bytes.isEmpty, "a held reply went on before the window filled")
        let b = try setup.client()
        try b.send(Array("b1\n".utf8))
        #expect(try b.receive(exactly: 3) == Array("b1\n".utf8))
        #expect(try a.receive(exactly: 6) == Array("a1\na2\n".utf8))
        #expect(setup.counters.framesActedOn["reorder_downstream"] == 2)
    }

    @Test("reorder lets a lone held reply go after its delay")
    func delayReleases() throws {
        let setup = try ProxiedEcho(framing: .line(), toxics: ["reorder window=5 delay=200ms"])
        let a = try setup.client()
        let start = nowNanos()
        try a.send(Array("solo\n".utf8))
        #expect(try a.receive(exactly: 5) == Array("solo\n".utf8))
        #expect(elapsedSeconds(since: start) >= 0.2)
    }
}
