// Known-good frame streams for each framing: the frames a server would send, so tests can cut
// their concatenation anywhere and expect exactly these frames back.

import Framing
import Testing

struct FrameStream: Sendable, CustomTestStringConvertible {
    var name: String
    var framing: Framing
    /// Each frame's wire bytes, in order.
    var frames: [[UInt8]]
    /// Requests' methods, for HTTP (a response to HEAD has no body).
    var methods: [String] = []
    /// Frames only the end of the stream completes (a close-delimited HTTP body) are in `frames`
    /// too; `finish()` must produce them.
    var needsEOF = false

    var bytes: [UInt8] { frames.flatMap { $0 } }
    var testDescription: String { name }
}

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

let frameStreams: [FrameStream] = [
    FrameStream(name: "line, LF and CRLF", framing: .line(), frames: [b("hello\n"), b("world\r\n"), b("\n"), b("\r\n"), b("last one\r\n")]),
    FrameStream(name: "delimiter NUL", framing: .delimiter([0]), frames: [b("a\0"), b("\0"), b("longer frame\0")]),
    FrameStream(name: "delimiter of three bytes", framing: .delimiter(b("END")), frames: [b("xEND"), b("EN\nEND"), b("END")]),
    FrameStream(name: "length 1 byte", framing: .length(LengthPrefix(width: 1)), frames: [[3, 1, 2, 3], [0], [1, 255]]),
    FrameStream(name: "length 2 bytes big endian", framing: .length(LengthPrefix(width: 2)),
                frames: [[0, 2, 9, 9], [1, 0] + [UInt8](repeating: 7, count: 256), [0, 0]]),
    FrameStream(name: "length 4 bytes little endian", framing: .length(LengthPrefix(width: 4, bigEndian: false)),
                frames: [[3, 0, 0, 0, 1, 2, 3], [0, 0, 0, 0]]),
    FrameStream(name: "length 4 bytes counting itself", framing: .length(LengthPrefix(width: 4, includesPrefix: true)),
                frames: [[0, 0, 0, 6, 1, 2], [0, 0, 0, 4]]),
    FrameStream(name: "length 8 bytes", framing: .length(LengthPrefix(width: 8)), frames: [[0, 0, 0, 0, 0, 0, 0, 1, 42]]),
    FrameStream(name: "RESP2 replies", framing: .resp(), frames: [
        b("+PONG\r\n"), b("-ERR unknown command\r\n"), b(":1000\r\n"), b(":-1\r\n"), b("$5\r\nhello\r\n"), b("$0\r\n\r\n"),
        b("$-1\r\n"), b("*-1\r\n"), b("*0\r\n"), b("$4\r\n\r\n\r\n\r\n"),
        b("*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n"),
    ]),
    FrameStream(name: "RESP3 replies", framing: .resp(), frames: [
        b("_\r\n"), b("#t\r\n"), b(",3.14\r\n"), b("(3492890328409238509324850943850943825024385\r\n"),
        b("!21\r\nSYNTAX invalid syntax\r\n"), b("=15\r\ntxt:Some string\r\n"),
        b("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"), b("~2\r\n+a\r\n+b\r\n"), b(">2\r\n+message\r\n+hi\r\n"),
        b("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n"),
    ]),
    FrameStream(name: "HTTP/1.1 keep-alive pipeline", framing: .http1(), frames: [
        b("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        b("HTTP/1.1 100 Continue\r\n\r\n"),
        b("HTTP/1.1 201 Created\r\ncontent-length: 0\r\nLocation: /x\r\n\r\n"),
        b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: yes\r\n\r\n"),
        b("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"),
        b("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
        b("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        b("HTTP/1.0 200 OK\nContent-Length: 2\n\nok"),
    ], methods: ["GET", "POST", "GET", "GET", "GET", "HEAD", "GET"]),
    FrameStream(name: "HTTP/1.0 close-delimited body", framing: .http1(), frames: [
        b("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        b("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody until the close\r\nmore"),
    ], needsEOF: true),
]
