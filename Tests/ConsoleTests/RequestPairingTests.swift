// The console pairs replies with the requests a send carried (issue 20, item 13): a send of
// several whole RESP or HTTP/1.1 requests awaits as many replies, so nothing is left over to
// print under a later command or to be timed from its send; where the framing describes only
// the replies (line, delimiter, length: memcached's `set` is two lines and one reply) a send is
// one request, and replies beyond the requests sent are said.

import Foundation
import Testing
import TestSupport

@Suite("console reply pairing through the executable", .childSlot, .serialized)
struct RequestPairingTests {
    static let ping = "*1\\r\\n$4\\r\\nPING\\r\\n"

    @Test("one send of two RESP requests awaits two replies: none is left over, both are timed")
    func twoRequestsInOneSend() async throws {
        let run = try await Piped.run([], input: """
            connect w 1 framing=resp
            send w "\(Self.ping)\(Self.ping)"
            expect w reply "\(Self.ping)" within 5s
            expect w reply "\(Self.ping)" within 5s
            expect w no-reply within 200ms
            expect w p99 < 5s
            """, scratch: Scratch())
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("than requests sent"), "\(run.output)")
        #expect(run.output.contains("over 2 round trips"), "each request timed: \(run.output)")
    }

    @Test("with a reply-only framing a send is one request, and a second reply to it is said")
    func unaskedRepliesAreSaid() async throws {
        let run = try await Piped.run([], input: """
            connect w 1 framing=line
            send w "a\\nb\\n"
            sleep 300ms
            status
            """, scratch: Scratch())
        #expect(run.output.contains("w[0]: 1 more reply than requests sent (2 replies to 1 requests)"), "\(run.output)")
    }

    @Test("a request sent in pieces with chunks= and gap= is one request, timed from its last piece, not across the pauses")
    func requestInPieces() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/pieces.scn"
        try """
            connect w 1 framing=line
            send w "hello\\n" chunks=3 gap=150ms
            expect w reply "hello\\n"
            expect w no-reply within 100ms
            expect w p99 < 140ms

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("over 1 round trips") || run.output.contains("PASSED"), "\(run.output)")
        // The pauses happened: two of 150 ms between three pieces.
        let ms = run.output.firstMatch(of: /PASSED \S+ \[epoll\] ([0-9.]+) (ms|s)/).map { m in Double(m.1)! * (m.2 == "s" ? 1000 : 1) }
        #expect((ms ?? 0) >= 300, "\(run.output)")

        let bad = scratch.path + "/bad.scn"
        try "connect w 1\nsend w \"x\" gap=1ms\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await Piped.run(["run", bad], input: "", scratch: scratch)
        #expect(refused.status == 2 && refused.output.contains("bad.scn:2:12: gap= goes with chunks="), "\(refused.output)")
    }
}
