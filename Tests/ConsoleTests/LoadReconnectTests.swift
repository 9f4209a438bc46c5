// A request load against a server that closes connections between requests (nginx after
// keepalive_requests, issue 20 item 11): a reply saying `Connection: close` is followed by a new
// connection, counted as a reconnect, not an error, and the load goes on to its end; the
// requests the old connection had not answered are sent again on the new one.

import Foundation
import Testing
import TestSupport

@Suite("load: a server that closes between requests", .childSlot)
struct LoadReconnectTests {
    @Test("Connection: close after every 10th reply: the load reconnects, counts it, and passes")
    func reconnectsAfterConnectionClose() async throws {
        let server = try MisbehavingServer(.httpClosesAfter(10))
        defer { server.stop() }
        let scratch = Scratch()
        let run = try await Piped.run(["load", "--target", server.address, "--request", "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n",
                                 "--framing", "http1", "--expect", "^HTTP/1\\.1 200", "--connections", "2", "--rate", "300",
                                 "--duration", "1s", "--json", scratch.path + "/load.json"],
                                input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("load: PASSED"), "\(run.output)")
        #expect(run.output.contains("errors 0"), "\(run.output)")
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/load.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let load = json?["load"] as? [String: Any]
        let replies = load?["replies"] as? [String: Any]
        let reconnects = replies?["reconnects"] as? Int ?? 0
        let messages = load?["messages"] as? Int ?? 0
        // About 300 requests in the second, a close every 10 replies a connection.
        #expect(messages >= 100 && reconnects >= messages / 10 - 4, "\(messages) replies, \(reconnects) reconnects: \(run.output)")
        #expect(run.output.contains("reconnects \(reconnects) (the server closed between requests)"), "\(run.output)")
    }
}
