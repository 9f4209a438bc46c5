// HTTP1Request.isHEAD: the one place a request's method is read, for the client engine, the
// fuzzer's reference replies and request load alike. A wrong answer frames a HEAD response as
// waiting for a body (a false timeout) or swallows the next response as a body.

import Framing
import Testing

@Suite("An HTTP/1 request is HEAD by its first word")
struct HTTP1RequestTests {
    static func isHEAD(_ text: String) -> Bool { HTTP1Request.isHEAD(Array(text.utf8)) }

    @Test("HEAD is HEAD; every other method is not")
    func methods() {
        #expect(Self.isHEAD("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"))
        for method in ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"] {
            #expect(!Self.isHEAD("\(method) / HTTP/1.1\r\n\r\n"), "\(method)")
        }
    }

    @Test("methods are case-sensitive, and a longer word starting with HEAD is another method")
    func lowercaseAndGarbage() {
        #expect(!Self.isHEAD("head / HTTP/1.1\r\n\r\n"))
        #expect(!Self.isHEAD("Head / HTTP/1.1\r\n\r\n"))
        #expect(!Self.isHEAD("HEADER / HTTP/1.1\r\n\r\n"))
        #expect(!Self.isHEAD(" HEAD / HTTP/1.1\r\n\r\n"))
        #expect(!Self.isHEAD("\u{0}HEAD / HTTP/1.1\r\n\r\n"))
        #expect(!HTTP1Request.isHEAD([0xff, 0xfe, 0x48, 0x45, 0x41, 0x44, 0x20]))
        #expect(Self.isHEAD("HEAD\t/ HTTP/1.1\r\n\r\n"))
    }

    @Test("empty lines before the request line are skipped (RFC 9112 section 2.2)")
    func leadingEmptyLines() {
        #expect(Self.isHEAD("\r\nHEAD / HTTP/1.1\r\n\r\n"))
        #expect(Self.isHEAD("\r\n\r\n\nHEAD / HTTP/1.1\r\n\r\n"))
        #expect(!Self.isHEAD("\r\nGET / HTTP/1.1\r\n\r\n"))
    }

    @Test("bytes that end inside the method are not HEAD; bytes that end right after it are")
    func shorterThanTheMethod() {
        #expect(!Self.isHEAD(""))
        #expect(!Self.isHEAD("\r\n"))
        #expect(!Self.isHEAD("H"))
        #expect(!Self.isHEAD("HEA"))
        #expect(Self.isHEAD("HEAD"))
        #expect(Self.isHEAD("\r\nHEAD "))
    }
}
