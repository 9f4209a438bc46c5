// Small loopback servers that misbehave in one stated way each (never read, reset everything,
// echo only a prefix, send a late byte, answer garbage or an HTTP error), for tests that run the
// `sockfuzz` executable against them. Blocking sockets, one thread per connection: simple
// enough to trust, and plenty for the tens of connections a test opens.

import CSockfuzz
import Glibc
import Synchronization

public enum Misbehaviour: Sendable, Equatable, CustomStringConvertible {
    /// A correct echo server: the twin that shows a test's failure comes from the misbehaviour.
    case echo
    /// Accepts and holds the connection; never reads, never writes.
    case neverReads
    /// Reads and discards everything; never writes.
    case silent
    /// Accepts, then closes at once with a reset (SO_LINGER 0).
    case resetsEveryConnection
    /// Accepts, then closes at once in an orderly way (FIN).
    case closesAtOnce
    /// Echoes the first `n` bytes of each connection, then reads and discards the rest.
    case echoesFirst(Int)
    /// Echoes, and `delayMillis` after each echoed chunk sends one extra, unsolicited byte (`!`).
    case lateByte(delayMillis: Int)
    /// Answers each chunk with as many `#` bytes: the right length, the wrong content.
    case garbage
    /// Reads a request, answers `HTTP/1.1 400 Bad Request` and closes (what nginx does to bytes
    /// that are not HTTP).
    case httpError
    /// A line protocol: answers each request line `OK\r\n`, in order, however the lines were cut
    /// into reads; with `plantedWrongReply: n`, the n-th line of each connection (from 0) gets
    /// `ERR planted\r\n` instead. nil is the correct twin.
    case lineReplies(plantedWrongReply: Int?)
    /// The same protocol with the classic framing bug: one `OK\r\n` per read, however many request
    /// lines the read held (right only while requests arrive one per read).
    case oneReplyPerRead
    /// HTTP/1.1 keep-alive: answers each request (up to its blank line) in order with
    /// `200 OK` and a body naming the request's number; request number `wrongAt` (from 1) gets
    /// `500 Internal Server Error` instead. nil: every answer right (the twin).
    case httpPipeline(wrongAt: Int?)
    /// HTTP/1.1, keep-alive: every request gets `200 OK` and `hello`, with a `Date:` header that
    /// differs in every reply the server gives (a counter), as a real server's date does.
    case httpDated
    /// HTTP/1.1 keep-alive, but every connection is closed by the server after its `after`-th
    /// reply, which says `Connection: close` (as nginx does at keepalive_requests).
    case httpClosesAfter(Int)
    /// A request/response protocol answering each request by its content, with a planted
    /// framing bug or (false) correct: the request/response fuzzer's targets (FramedServers.swift).
    case framed(FramedProtocol, plantedBug: Bool)
    /// The `line` protocol of `framed`, framed right, but every `every`-th request line of a
    /// connection (from 1) is answered twice: one reply too many, the same as the right one.
    case duplicatesReply(every: Int)
    /// An echo server that answers connection number `once` (from 1, in accept order) with
    /// garbage, and every connection from number `from` on: one failure that never comes back
    /// (timing luck's stand-in), then, with `from`, one that always does.
    case garblesConnections(once: Int, from: Int?)

    public var description: String {
        switch self {
        case .echo: return "echo"
        case .neverReads: return "never-reads"
        case .silent: return "silent"
        case .resetsEveryConnection: return "resets-every-connection"
        case .closesAtOnce: return "closes-at-once"
        case .echoesFirst(let n): return "echoes-first-\(n)"
        case .lateByte(let ms): return "late-byte-\(ms)ms"
        case .garbage: return "garbage"
        case .httpError: return "http-error"
        case .lineReplies(let n): return n.map { "line-replies-wrong-at-\($0)" } ?? "line-replies"
        case .oneReplyPerRead: return "one-reply-per-read"
        case .httpPipeline(let wrong): return wrong.map { "http-pipeline-wrong-at-\($0)" } ?? "http-pipeline"
        case .httpDated: return "http-dated"
        case .httpClosesAfter(let n): return "http-closes-after-\(n)"
        case .framed(let proto, let planted): return "\(proto.rawValue)-\(planted ? "planted-bug" : "twin")"
        case .duplicatesReply(let k): return "duplicates-reply-every-\(k)"
        case .garblesConnections(let once, let from): return "garbles-connection-\(once)" + (from.map { "-and-from-\($0)" } ?? "")
        }
    }
}

public final class MisbehavingServer: @unchecked Sendable {
    public let behaviour: Misbehaviour
    /// The port it listens on, at 127.0.0.1.
    public let port: Int
    /// `127.0.0.1:PORT`, as `--target` takes it.
    public var address: String { "127.0.0.1:\(port)" }

    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private let accepted = Atomic<Int>(0)
    /// `httpDated`: replies given so far, across connections.
    private let dates = Atomic<Int>(0)
    private let open = Mutex<Set<Int32>>([])
    private let threads = Mutex<[TestThread]>([])
    private var acceptor: TestThread?

    /// Listens on 127.0.0.1, port 0 (the kernel picks), and starts accepting.
    public init(_ behaviour: Misbehaviour) throws {
        self.behaviour = behaviour
        let fd = socket(AF_INET, Int32(csf_SOCK_STREAM) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MisbehavingServerError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw MisbehavingServerError("bind/listen: errno \(e)")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        acceptor = TestThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// Stops accepting, ends every connection, and waits for the threads.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptor?.join(timeout: 10)
        Glibc.close(listener)
        open.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
        for thread in threads.withLock({ $0 }) { thread.join(timeout: 10) }
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            guard readable(listener, millis: 100) else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            open.withLock { _ = $0.insert(fd) }
            let number = accepted.add(1, ordering: .relaxed).newValue
            let thread = TestThread { [self] in
                serve(fd, number: number)
                open.withLock { _ = $0.remove(fd) }
                Glibc.close(fd)
            }
            threads.withLock { $0.append(thread) }
        }
    }

    /// Waits up to `millis` for `fd` to be readable (or to have ended).
    private func readable(_ fd: Int32, millis: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, millis) > 0
    }

    /// The next chunk the peer sent, nil at EOF, an error, or when the server stops.
    func read(_ fd: Int32, _ buffer: inout [UInt8]) -> Int? {
        while !stopping.load(ordering: .acquiring) {
            guard readable(fd, millis: 100) else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            return n > 0 ? n : nil
        }
        return nil
    }

    func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Serves connection number `number` (from 1, in accept order).
    private func serve(_ fd: Int32, number: Int) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        switch behaviour {
        case .echo:
            while let n = read(fd, &buffer) { write(fd, buffer[..<n]) }
        case .neverReads:
            while !stopping.load(ordering: .acquiring) { usleep(20_000) }
        case .silent:
            while read(fd, &buffer) != nil {}
        case .resetsEveryConnection:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        case .closesAtOnce:
            break
        case .echoesFirst(let limit):
            var echoed = 0
            while let n = read(fd, &buffer) {
                let take = min(n, max(0, limit - echoed))
                if take > 0 { write(fd, buffer[..<take]) }
                echoed += take
            }
        case .lateByte(let delay):
            while let n = read(fd, &buffer) {
                write(fd, buffer[..<n])
                // The extra byte comes after the echo is complete, unasked for.
                usleep(useconds_t(delay * 1000))
                write(fd, [UInt8(ascii: "!")][...])
            }
        case .garbage:
            while let n = read(fd, &buffer) { write(fd, [UInt8](repeating: UInt8(ascii: "#"), count: n)[...]) }
        case .httpPipeline(let wrongAt):
            var pending: [UInt8] = []
            var answered = 0
            while let n = read(fd, &buffer) {
                pending += buffer[..<n]
                while let end = Self.endOfHead(pending) {
                    pending.removeFirst(end)
                    answered += 1
                    let body = "response \(answered)\n"
                    let status = answered == wrongAt ? "500 Internal Server Error" : "200 OK"
                    write(fd, Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)[...])
                }
            }
        case .httpDated:
            var pending: [UInt8] = []
            while let n = read(fd, &buffer) {
                pending += buffer[..<n]
                while let end = Self.endOfHead(pending) {
                    pending.removeFirst(end)
                    let date = dates.add(1, ordering: .relaxed).newValue
                    write(fd, Array("HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 12:00:00.\(date) GMT\r\nContent-Length: 6\r\n\r\nhello\n".utf8)[...])
                }
            }
        case .httpClosesAfter(let limit):
            var pending: [UInt8] = []
            var answered = 0
            reading: while let n = read(fd, &buffer) {
                pending += buffer[..<n]
                while let end = Self.endOfHead(pending) {
                    pending.removeFirst(end)
                    answered += 1
                    let last = answered == limit
                    write(fd, Array("HTTP/1.1 200 OK\r\n\(last ? "Connection: close\r\n" : "")Content-Length: 3\r\n\r\nok\n".utf8)[...])
                    if last { break reading }
                }
            }
        case .httpError:
            if read(fd, &buffer) != nil {
                write(fd, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)[...])
            }
        case .lineReplies(let planted):
            var line = 0
            var replies: [UInt8] = []
            while let n = read(fd, &buffer) {
                replies.removeAll(keepingCapacity: true)
                for byte in buffer[..<n] where byte == 0x0a {
                    replies += Array((line == planted ? "ERR planted\r\n" : "OK\r\n").utf8)
                    line += 1
                }
                write(fd, replies[...])
            }
        case .oneReplyPerRead:
            while read(fd, &buffer) != nil { write(fd, Array("OK\r\n".utf8)[...]) }
        case .framed(let proto, let planted):
            serveFramed(fd, proto, plantedBug: planted)
        case .duplicatesReply(let k):
            serveFramed(fd, .line, plantedBug: false, duplicateEvery: k)
        case .garblesConnections(let once, let from):
            let garbles = number == once || from.map { number >= $0 } == true
            while let n = read(fd, &buffer) {
                write(fd, garbles ? [UInt8](repeating: UInt8(ascii: "#"), count: n)[...] : buffer[..<n])
            }
        }
    }
}

extension MisbehavingServer {
    /// Where the first `\r\n\r\n` ends, nil when the head is not complete yet.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}

public struct MisbehavingServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
