// The console pairs replies with the requests a send carried (issue 20, item 13): a send of
// several whole RESP or HTTP/1.1 requests awaits as many replies, so nothing is left over to
// print under a later command or to be timed from its send; where the framing describes only
// the replies (line, delimiter, length: memcached's `set` is two lines and one reply) a send is
// one request, and replies beyond the requests sent are said.

import Foundation
import Testing
import TestSupport

@Suite("console reply pairing through the executable", .serialized)
struct RequestPairingTests {
    static let ping = "*1\\r\\n$4\\r\\nPING\\r\\n"

    @Test("one send of two RESP requests awaits two replies: none is left over, both are timed")
    func twoRequestsInOneSend() throws {
        let run = try Piped.run([], input: """
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
    func unaskedRepliesAreSaid() throws {
        let run = try Piped.run([], input: """
            connect w 1 framing=line
            send w "a\\nb\\n"
            sleep 300ms
            status
            """, scratch: Scratch())
        #expect(run.output.contains("w[0]: 1 more reply than requests sent (2 replies to 1 requests)"), "\(run.output)")
    }
}
