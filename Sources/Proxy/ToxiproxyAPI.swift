// The HTTP/1.1 server in front of ToxiproxyRoutes: one thread accepting, one thread per client
// connection (an API gets a handful of requests, not a load), keep-alive, Content-Length
// bodies. Every wait is a 100 ms poll, so stop() ends it all promptly.

import Foundation
import Glibc
import Reactor
import Synchronization
import Syscalls

public final class ToxiproxyAPI: Sendable {
    public let address: SocketAddress
    private let listener: Int32
    private let server: ProxyServer
    private let stopping = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    private let thread = LoopThread()

    static let maxConnections = 64
    static let maxHead = 64 * 1024
    static let maxBody = 4 << 20
    static let idleNanos: UInt64 = 60_000_000_000

    /// Listens on `listen` (HOST:PORT; port 0 picks one) and starts serving.
    public init(server: ProxyServer, listen: String) throws(ProxyError) {
        self.server = server
        let wanted: SocketAddress
        do { wanted = try SocketAddress.parse(listen) } catch {
            throw ProxyError(.invalid, "--api '\(listen)': \(error.description)")
        }
        var fd: Int32 = -1
        do {
            fd = try Sys.listeningSocket(wanted, backlog: 128)
            address = try Sys.localAddress(fd)
        } catch {
            if fd >= 0 { Sys.close(fd) }
            throw ProxyError(.listenFailed, "cannot listen on \(listen) for the API: \(error)")
        }
        listener = fd
        thread.start { [self] in acceptLoop() }
    }

    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread.join()
        Sys.close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            guard Self.wait(listener, for: Int16(POLLIN)) else { continue }
            guard case .processed(let client)? = try? Sys.accept(listener) else { continue }
            if connections.add(1, ordering: .relaxed).newValue > Self.maxConnections {
                connections.subtract(1, ordering: .relaxed)
                Sys.close(client)
                continue
            }
            Thread.detachNewThread { [self] in
                serve(client)
                Sys.close(client)
                connections.subtract(1, ordering: .relaxed)
            }
        }
    }

    /// Answers requests on one connection until the client closes it, asks to, or idles.
    private func serve(_ fd: Int32) {
        var pending: [UInt8] = []
        var idleSince = Sys.monotonicNanos()
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: 16 * 1024, alignment: 8)
        defer { chunk.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            if let parsed = HTTPRequestHead.parse(pending) {
                guard case .success(let head) = parsed else {
                    _ = send(fd, Self.render(.error(400, "malformed request"), keepAlive: false))
                    return
                }
                if head.contentLength > Self.maxBody {
                    _ = send(fd, Self.render(.error(413, "request body too large"), keepAlive: false))
                    return
                }
                if pending.count >= head.headLength + head.contentLength {
                    let body = Array(pending[head.headLength..<(head.headLength + head.contentLength)])
                    pending.removeFirst(head.headLength + head.contentLength)
                    let request = APIRequest(method: head.method, path: head.path, body: body, userAgent: head.userAgent)
                    let response = head.chunked
                        ? APIResponse.error(411, "chunked request bodies are not supported: send Content-Length")
                        : ToxiproxyRoutes.respond(to: request, using: server)
                    guard send(fd, Self.render(response, keepAlive: head.keepAlive && !head.chunked)), head.keepAlive, !head.chunked else { return }
                    idleSince = Sys.monotonicNanos()
                    continue
                }
            } else if pending.count > Self.maxHead {
                _ = send(fd, Self.render(.error(431, "request head too large"), keepAlive: false))
                return
            }
            guard Self.wait(fd, for: Int16(POLLIN)) else {
                if Sys.monotonicNanos() &- idleSince > Self.idleNanos { return }
                continue
            }
            guard case .processed(let n)? = try? Sys.recv(fd, chunk, 16 * 1024) else { continue }
            if n == 0 { return }
            pending.append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: n))
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        let deadline = Sys.monotonicNanos() &+ 10_000_000_000
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { try? Sys.send(fd, $0.baseAddress! + offset, bytes.count - offset) }
            switch result {
            case .processed(let k)?: offset += k
            case .wouldBlock?:
                if Sys.monotonicNanos() > deadline || stopping.load(ordering: .acquiring) { return false }
                _ = Self.wait(fd, for: Int16(POLLOUT))
            case nil: return false
            }
        }
        return true
    }

    /// Waits up to 100 ms for `events` on `fd`.
    private static func wait(_ fd: Int32, for events: Int16) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return poll(&entry, 1, 100) > 0
    }

    static func render(_ response: APIResponse, keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        if response.status != 204 {
            head += "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n"
        }
        head += keepAlive ? "" : "Connection: close\r\n"
        head += "\r\n"
        return Array(head.utf8) + response.body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 431: "Request Header Fields Too Large"
        default: "Internal Server Error"
        }
    }
}

/// The head of one HTTP/1.x request: what the API needs of it.
struct HTTPRequestHead {
    var method: String
    var path: String
    var headLength: Int
    var contentLength = 0
    var chunked = false
    var keepAlive = true
    var userAgent: String?

    /// nil: the head is not complete yet; failure: it is not HTTP.
    static func parse(_ bytes: [UInt8]) -> Result<HTTPRequestHead, HTTPHeadError>? {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let text = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return .failure(HTTPHeadError()) }
        var head = HTTPRequestHead(method: String(requestLine[0]), path: String(requestLine[1]), headLength: end.upperBound)
        head.keepAlive = requestLine[2] == "HTTP/1.1"
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .failure(HTTPHeadError()) }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                guard let length = Int(value), length >= 0 else { return .failure(HTTPHeadError()) }
                head.contentLength = length
            case "transfer-encoding": head.chunked = value.lowercased().contains("chunked")
            case "connection":
                if value.lowercased() == "close" { head.keepAlive = false }
                if value.lowercased() == "keep-alive" { head.keepAlive = true }
            case "user-agent": head.userAgent = value
            default: break
            }
        }
        return .success(head)
    }
}

struct HTTPHeadError: Error {}
