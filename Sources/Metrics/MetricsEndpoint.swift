// A tiny HTTP/1.0 endpoint for Prometheus scrapes (`--metrics-listen`) on its own thread and epoll
// loop, so the measured loop never waits for a scraper: `GET /metrics` gets what `render` returns,
// other paths 404; a request must fit in 8 KiB and arrive within 5 s; one response, then close.

import Foundation
import Reactor
import Results
import Synchronization
import Syscalls

public final class MetricsEndpoint: @unchecked Sendable {
    /// Where it listens (the port chosen when asked for port 0).
    public let address: SocketAddress
    private let listener: Int32
    private let loop: EventLoop<EpollBackend>
    private let render: @Sendable () -> String
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Only the endpoint's thread touches these.
    private var clients: [Int32: Client] = [:]
    /// What the loop dispatches to: kept private, so no other thread can call into the
    /// endpoint's handling (and its unlocked `clients`).
    private final class LoopEvents: EventHandler {
        unowned let endpoint: MetricsEndpoint
        init(_ endpoint: MetricsEndpoint) { self.endpoint = endpoint }
        func handle(fd: Int32, events: IOEvents) -> Bool { endpoint.handle(fd: fd) }
    }

    private struct Client {
        var request: [UInt8] = []
        var response: [UInt8] = []
        var written = 0
        var deadline: UInt64
    }

    public static let maxRequest = 8192
    /// How long a client has to send its request's head before it is dropped.
    private let requestTimeoutNanos: UInt64

    /// Listens on `text` (HOST:PORT; port 0 picks a free one) and starts serving.
    public init(listeningOn text: String, requestTimeoutNanos: UInt64 = 5_000_000_000,
                render: @escaping @Sendable () -> String) throws {
        self.requestTimeoutNanos = requestTimeoutNanos
        let wanted = try SocketAddress.parse(text)
        let fd = try Sys.socket(family: wanted.family)
        do {
            try Sys.setReuseAddress(fd)
            try Sys.bind(fd, wanted)
            try Sys.listen(fd, backlog: 64)
            address = try Sys.localAddress(fd)
            loop = try EventLoop()
            try loop.setInterest(fd, .readable)
        } catch {
            Sys.close(fd)
            throw error
        }
        listener = fd
        self.render = render
        let thread = Thread { [self] in serve() }
        thread.name = "metrics"
        thread.start()
    }

    /// Stops serving and closes every descriptor (waits up to a second for the thread).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        _ = finished.wait(timeout: .now() + 1)
    }

    private func serve() {
        let events = LoopEvents(self)
        while !stopping.load(ordering: .relaxed) {
            // A failing wait ends the endpoint, never the load it reports on.
            do { _ = try loop.runOnce(events, maxWaitNanos: 100_000_000) } catch { break }
            let now = Sys.monotonicNanos()
            for (fd, client) in clients where now > client.deadline { drop(fd) }
        }
        for fd in clients.keys { drop(fd) }
        loop.forget(listener)
        Sys.close(listener)
        loop.close()
        finished.signal()
    }

    private func handle(fd: Int32) -> Bool {
        if fd == listener {
            while case .processed(let client)? = try? Sys.accept(listener) {
                clients[client] = Client(deadline: Sys.monotonicNanos() &+ requestTimeoutNanos)
                try? loop.setInterest(client, .readable)
            }
            return true
        }
        guard var client = clients[fd] else { return false }
        if client.response.isEmpty {
            var chunk = [UInt8](repeating: 0, count: 2048)
            let read = chunk.withUnsafeMutableBytes { try? Sys.read(fd, $0.baseAddress!, $0.count) }
            guard case .processed(let n)? = read, n > 0 else {
                if case .wouldBlock? = read { return false }
                drop(fd)
                return true
            }
            client.request += chunk[..<n]
            if let response = Self.respond(to: client.request, render: render) {
                client.response = response
                try? loop.setInterest(fd, .writable)
            }
        }
        if !client.response.isEmpty {
            let rest = client.response.count - client.written
            let sent = client.response.withUnsafeBytes { try? Sys.write(fd, $0.baseAddress! + client.written, rest) }
            if case .processed(let n)? = sent { client.written += n } else if sent == nil { drop(fd); return true }
            if client.written == client.response.count { drop(fd); return true }
        }
        clients[fd] = client
        return true
    }

    private func drop(_ fd: Int32) {
        loop.forget(fd)
        Sys.close(fd)
        clients[fd] = nil
    }

    /// The whole response once the request's head is in; nil while it is incomplete.
    static func respond(to request: [UInt8], render: () -> String) -> [UInt8]? {
        let text = String(decoding: request, as: UTF8.self)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") else {
            return request.count >= maxRequest ? response(431, "Request Header Fields Too Large", "request too large\n") : nil
        }
        let words = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        guard words.count >= 2 else { return response(400, "Bad Request", "bad request line\n") }
        guard words[0] == "GET" || words[0] == "HEAD" else { return response(405, "Method Not Allowed", "GET /metrics\n") }
        let path = words[1].prefix { $0 != "?" }
        guard path == "/metrics" else { return response(404, "Not Found", "the metrics are at /metrics\n") }
        return response(200, "OK", render(), type: PrometheusText.contentType, head: words[0] == "HEAD")
    }

    private static func response(_ status: Int, _ reason: String, _ body: String,
                                 type: String = "text/plain; charset=utf-8", head: Bool = false) -> [UInt8] {
        let bytes = Array(body.utf8)
        let header = "HTTP/1.0 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        return Array(header.utf8) + (head ? [] : bytes)
    }
}
