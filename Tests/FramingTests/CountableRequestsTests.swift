// When one reply more than the requests is a protocol violation: only when every server would
// cut what was sent into the same requests. Well-formed requests count; what servers may cut
// differently (a lone LF, a folded header, both body lengths, an unknown coding) does not.

import Framing
import Testing

@Suite("Requests whose replies can be counted")
struct CountableRequestsTests {
    func count(_ framing: Framing, _ text: String) -> Int? { framing.countableRequests(Array(text.utf8)) }

    @Test("well-formed RESP arrays and CR LF inline commands count one each")
    func resp() {
        #expect(count(.resp(), "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == 2)
        #expect(count(.resp(), "PING\r\n") == 1)
        // An odd MSET is still one request: its second reply is the server's fault.
        #expect(count(.resp(), "*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n") == 1)
    }

    @Test("a lone LF, an empty inline line, a NUL or a stray CR make RESP uncountable")
    func respAmbiguous() {
        #expect(count(.resp(), "\n*1\r\n$1\r\nG\r\n") == nil)
        #expect(count(.resp(), "PING\n") == nil)
        #expect(count(.resp(), " \r\n") == nil)
        #expect(count(.resp(), "PI\0NG\r\n") == nil)
        #expect(count(.resp(), "PI\rNG\r\n") == nil)
        #expect(count(.resp(), "*1\r\n$4\r\nPI") == nil)  // cut short
    }

    @Test("HTTP requests count when their body's end is beyond doubt")
    func http() {
        #expect(count(.http1(), "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n") == 2)
        #expect(count(.http1(), "POST / HTTP/1.1\r\ncontent-LENGTH: 2\r\n\r\nhi") == 1)
        #expect(count(.http1(), "POST / HTTP/1.1\r\nTRANSFER-ENCODING: chunked\r\n\r\n0\r\n\r\n") == 1)
    }

    @Test("HTTP that servers may cut differently does not count",
          arguments: [
              "GET / HTTP/1.1\nHost: a\n\n",                                              // bare LF
              "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",                                  // folded
              "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
              "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
              "P / HTTP/1.1\r\nTransfer-Encoding: chunkedc\r\n\r\n0\r\n\r\n",            // not chunked at all
              "GET  / HTTP/1.1\r\n\r\n",                                                 // two spaces
              "GET / HTTP/1.1\r\nHost a\r\n\r\n",                                        // no colon
              "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
          ])
    func httpAmbiguous(_ text: String) {
        #expect(count(.http1(), text) == nil)
    }

    @Test("a Transfer-Encoding is chunked only when its last coding is exactly chunked")
    func chunkedCoding() {
        // The body of `chunkedc` is not chunked: a server reads "0\r\n\r\n" as the next request.
        let split = Framing.http1().splitRequests(Array("P / HTTP/1.1\r\nTransfer-Encoding: chunkedc\r\n\r\n0\r\n\r\n".utf8))
        #expect(split.requests.count == 1 && split.rest == Array("0\r\n\r\n".utf8))
        let gzipped = Framing.http1().splitRequests(Array("P / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n".utf8))
        #expect(gzipped.requests.count == 1 && gzipped.rest.isEmpty)
    }

    @Test("lines, lengths and delimiters")
    func others() {
        #expect(count(.line(), "GET k\r\nSET k v\n") == 2)
        #expect(count(.line(), "GET\rk\n") == nil)
        #expect(count(.line(), "GET k") == nil)
        #expect(count(.length(LengthPrefix(width: 2)), "\0\u{2}hi\0\0") == 2)
        #expect(count(.raw, "anything") == nil)
    }
}
