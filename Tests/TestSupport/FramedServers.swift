// Request/response servers for the request/response fuzzer, one per framing, each answering a
// request by its content (so a mis-cut request gets a visibly wrong answer), with a PLANTED
// framing bug, or correct (the twin):
//   line:   "OK <line>\r\n" per request line; bug: each recv taken as one whole line.
//   length: 4-byte big-endian length, then that many bytes; answered with "REPLY:" + payload,
//           framed the same way; bug: assumes a frame's bytes all arrive in the recv its prefix
//           came in (the payload is cut short at the recv's end).
//   http:   HTTP/1.1 keep-alive, each request answered 200 with its target as the body; bug: each
//           recv parsed on its own, so a head split across recvs gets `400 Bad Request` and is lost.
// A second bug for line, not a framing one: one request in k answered twice (`duplicateEvery`).

import Glibc

public enum FramedProtocol: String, Sendable, CaseIterable {
    case line, length, http

    /// `--framing` for its replies.
    public var framing: String {
        switch self {
        case .line: return "line"
        case .length: return "length:4be"
        case .http: return "http1"
        }
    }

    /// Two requests a test sends, as `--request-file` lines (the language's escapes).
    public var requestLines: [String] {
        switch self {
        case .line: return ["GET alpha\\r\\n", "PUT beta 12345\\r\\n"]
        case .length: return ["\\x00\\x00\\x00\\x05hello", "\\x00\\x00\\x00\\x0dsplit me here"]
        case .http: return ["GET /alpha HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", "GET /beta/gamma HTTP/1.1\\r\\nHost: x\\r\\nAccept: */*\\r\\n\\r\\n"]
        }
    }
}

extension MisbehavingServer {
    func serveFramed(_ fd: Int32, _ proto: FramedProtocol, plantedBug: Bool, duplicateEvery: Int? = nil) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        var lines = 0
        while let n = read(fd, &buffer) {
            // The planted bugs forget what an earlier recv left over.
            if plantedBug { pending.removeAll() }
            pending += buffer[..<n]
            var replies: [UInt8] = []
            switch proto {
            case .line:
                if plantedBug {
                    replies = Array("OK ".utf8) + pending.filter { $0 != 0x0a && $0 != 0x0d } + [0x0d, 0x0a]
                    pending.removeAll()
                }
                while let end = pending.firstIndex(of: 0x0a) {
                    let line = pending[..<end].filter { $0 != 0x0d }
                    let reply = Array("OK ".utf8) + line + [0x0d, 0x0a]
                    lines += 1
                    // The duplicate goes out in the same write as the reply it repeats.
                    replies += duplicateEvery.map { lines % $0 == 0 } == true ? reply + reply : reply
                    pending.removeSubrange(...end)
                }
            case .length:
                while pending.count >= 4 {
                    let length = pending[0..<4].reduce(0) { $0 << 8 | Int($1) }
                    // The bug: whatever of the payload this recv holds is taken as all of it.
                    let available = plantedBug ? min(length, pending.count - 4) : length
                    guard pending.count >= 4 + available else { break }
                    let payload = Array("REPLY:".utf8) + pending[4..<(4 + available)]
                    let count = payload.count
                    replies += [UInt8(count >> 24 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + payload
                    pending.removeFirst(4 + available)
                }
            case .http:
                while let end = Self.endOfHead(pending) {
                    let target = pending[..<end].split(separator: 0x20).dropFirst().first.map(Array.init) ?? []
                    let body = target + [0x0a]
                    replies += Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                    pending.removeFirst(end)
                }
                if plantedBug && !pending.isEmpty {
                    replies += Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)
                }
            }
            if !replies.isEmpty { write(fd, replies[...]) }
        }
    }
}
