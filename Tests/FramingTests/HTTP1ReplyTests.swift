// Whether an HTTP/1.x response ends its connection: the load client reconnects after one that
// does (Connection: close, in any case, among other tokens; HTTP/1.0 unless keep-alive), and
// keeps a connection whose response says nothing or keep-alive.

import Framing
import Testing

@Suite("HTTP/1 response: does it close the connection")
struct HTTP1ReplyTests {
    private func closes(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { HTTP1Reply.closesConnection($0) }
    }

    @Test("Connection: close closes, in any case and among tokens; keep-alive and nothing keep it")
    func tokens() {
        #expect(closes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
        #expect(closes("HTTP/1.1 200 OK\r\nCONNECTION:  Upgrade , Close \r\n\r\n"))
        #expect(!closes("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"))
        #expect(!closes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(!closes("HTTP/1.1 200 OK\r\nX-Connection: close\r\n\r\n"), "another header")
        #expect(!closes("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nConnection: close"), "the body")
    }

    @Test("HTTP/1.0 closes unless it says keep-alive")
    func http10() {
        #expect(closes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(!closes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"))
    }
}
