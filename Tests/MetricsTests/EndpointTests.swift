// The scrape endpoint over loopback: GET /metrics answers what `render` returns now, everything
// else gets the status that says why, a client that never finishes its request is dropped, and
// stop() closes what it opened.

import Foundation
import Metrics
import Syscalls
import Synchronization
import TestSupport
import Testing

@Suite("Metrics endpoint", .sharesDescriptorTable)
struct EndpointTests {
    /// Sends `request` and reads the reply to its end.
    private func exchange(_ request: String, with endpoint: MetricsEndpoint) throws -> String {
        let client = try LoopbackClient(connectingTo: endpoint.address, timeout: 10)
        defer { client.close() }
        try client.send(Array(request.utf8))
        return String(decoding: client.receiveToEnd(timeout: 20).bytes, as: UTF8.self)
    }

    @Test("GET /metrics answers the text render returns at that moment, with Prometheus's content type")
    func servesRenderNow() throws {
        let calls = Atomic<Int>(0)
        let endpoint = try MetricsEndpoint(listeningOn: "127.0.0.1:0") {
            "scrape \(calls.add(1, ordering: .relaxed).newValue)\n"
        }
        defer { endpoint.stop() }
        let first = try exchange("GET /metrics HTTP/1.0\r\n\r\n", with: endpoint)
        let second = try exchange("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", with: endpoint)
        #expect(first.hasPrefix("HTTP/1.0 200 OK\r\n") && first.hasSuffix("\r\n\r\nscrape 1\n"), "\(first)")
        #expect(first.contains("Content-Type: text/plain; version=0.0.4"), "\(first)")
        #expect(first.contains("Content-Length: 9\r\n"), "\(first)")
        #expect(second.hasSuffix("scrape 2\n"), "\(second)")
        let head = try exchange("HEAD /metrics HTTP/1.0\r\n\r\n", with: endpoint)
        #expect(head.hasPrefix("HTTP/1.0 200") && head.hasSuffix("\r\n\r\n"), "\(head)")
    }

    @Test("other paths, methods, broken and oversized requests get 404, 405, 400 and 431")
    func refusals() throws {
        let endpoint = try MetricsEndpoint(listeningOn: "127.0.0.1:0") { "x\n" }
        defer { endpoint.stop() }
        #expect(try exchange("GET / HTTP/1.0\r\n\r\n", with: endpoint).hasPrefix("HTTP/1.0 404 "))
        #expect(try exchange("POST /metrics HTTP/1.0\r\n\r\n", with: endpoint).hasPrefix("HTTP/1.0 405 "))
        #expect(try exchange("GET\r\n\r\n", with: endpoint).hasPrefix("HTTP/1.0 400 "))
        let huge = "GET /metrics HTTP/1.0\r\nX: " + String(repeating: "a", count: MetricsEndpoint.maxRequest)
        #expect(try exchange(huge, with: endpoint).hasPrefix("HTTP/1.0 431 "))
    }

    @Test("a client that never finishes its request is dropped after the request timeout")
    func slowClientDropped() throws {
        let endpoint = try MetricsEndpoint(listeningOn: "127.0.0.1:0", requestTimeoutNanos: 200_000_000) { "x\n" }
        defer { endpoint.stop() }
        let client = try LoopbackClient(connectingTo: endpoint.address, timeout: 10)
        defer { client.close() }
        try client.send(Array("GET /metrics HTTP/1.0\r\n".utf8))
        let reply = client.receiveToEnd(timeout: 20)
        #expect(reply.bytes.isEmpty && reply.end == .eof, "\(reply)")
    }

    @Test("stop() closes the listener and every client")
    func stopClosesEverything() throws {
        let endpoint = try MetricsEndpoint(listeningOn: "127.0.0.1:0") { "x\n" }
        let idle = try LoopbackClient(connectingTo: endpoint.address, timeout: 10)
        defer { idle.close() }
        endpoint.stop()
        #expect(idle.hasEnded(within: 10))
        // stop() waits a bounded time for the endpoint's thread: wait for the listener to be gone.
        let refused = waitUntil(timeout: 20) { (try? LoopbackClient(connectingTo: endpoint.address, timeout: 5)) == nil }
        #expect(refused, "something still accepts at \(endpoint.address) after stop()")
    }
}
