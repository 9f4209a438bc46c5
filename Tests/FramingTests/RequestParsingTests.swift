// The request side of each framing: a request parsed into fields renders back byte-exactly,
// fields mean what they say (a bulk's length is linked to its payload), a stream splits into
// its requests, and no bytes make the parser trap.

import Framing
import Testing
import Vocabulary

@Suite("Requests parse into fields and render back byte-exactly")
struct RequestParsingTests {
    func fields(_ framing: Framing, _ text: String) throws -> [RequestField] {
        let bytes = Array(text.utf8)
        let parsed = try #require(framing.parseRequest(bytes[...]))
        #expect(parsed.length == bytes.count)
        #expect(parsed.fields.rendered() == bytes)
        return parsed.fields.fields
    }

    @Test("a RESP array: count, each bulk's length linked to its payload")
    func respArray() throws {
        let f = try fields(.resp(), "*2\r\n$3\r\nGET\r\n$5\r\nalpha\r\n")
        let count = try #require(f.first { $0.name == "array count" })
        #expect(count.countsGroups && count.integerValue == 2)
        let length = try #require(f.firstIndex { $0.name == "bulk 2 length" })
        #expect(f[length].integerValue == 5)
        #expect(f[try #require(f[length].lengthOf)].bytes == Array("alpha".utf8))
        #expect(f.first { $0.name == "bulk 1" }?.kind == .token)
    }

    @Test("a RESP inline command is words")
    func respInline() throws {
        let f = try fields(.resp(), "SET k 12\r\n")
        #expect(f.filter { $0.kind != .syntax }.map(\.name) == ["word 1", "word 2", "word 3"])
        #expect(f.first { $0.name == "word 3" }?.kind == .decimal)
    }

    @Test("HTTP/1.1: request line, headers by name, a body counted by Content-Length")
    func httpContentLength() throws {
        let f = try fields(.http1(), "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(f.prefix(5).map(\.name) == ["method", "space", "target", "space", "version"])
        let length = try #require(f.firstIndex { $0.name == "header Content-Length value" })
        #expect(f[length].kind == .decimal)
        #expect(f[try #require(f[length].lengthOf)].name == "body")
        #expect(f.contains { $0.name == "header Host name" && $0.group != nil })
    }

    @Test("HTTP/1.1 chunked: sizes in hex linked to data, an extension, trailers")
    func httpChunked() throws {
        let f = try fields(.http1(), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n")
        let size = try #require(f.firstIndex { $0.name == "chunk 1 size" })
        #expect(f[size].kind == .hexadecimal && f[size].integerValue == 5)
        #expect(f[try #require(f[size].lengthOf)].bytes == Array("hello".utf8))
        #expect(f.contains { $0.name == "chunk 1 extension" && $0.bytes == Array("x=y".utf8) })
        #expect(f.contains { $0.name == "trailer T name" })
    }

    @Test("a request cut short, a header without a colon and a lying Content-Length are not whole requests")
    func incompleteOrMalformed() {
        #expect(Framing.http1().parseRequest(Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)[...]) == nil)
        #expect(Framing.http1().parseRequest(Array("GET / HTTP/1.1\r\nHost a\r\n\r\n".utf8)[...]) == nil)
        #expect(Framing.http1().parseRequest(Array("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab".utf8)[...]) == nil)
        #expect(Framing.resp().parseRequest(Array("*1\r\n$-2\r\n".utf8)[...]) == nil)
        #expect(Framing.resp().parseRequest(Array("*1\r\n$4\r\nPI".utf8)[...]) == nil)
    }

    @Test("a length prefix is a binary integer linked to its payload")
    func lengthPrefix() throws {
        let bytes: [UInt8] = [0, 0, 0, 3, 0x61, 0x62, 0x63]
        let parsed = try #require(Framing.length(LengthPrefix(width: 4)).parseRequest(bytes[...]))
        let f = parsed.fields.fields
        #expect(f[0].kind == .binary(width: 4, bigEndian: true) && f[0].integerValue == 3 && f[0].lengthOf == 1)
        #expect(parsed.fields.rendered() == bytes)
    }

    @Test("a stream splits into its requests, the rest left over")
    func split() {
        let stream = Array("*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$4\r\nPI".utf8)
        let (requests, rest) = Framing.resp().splitRequests(stream)
        #expect(requests == [Array("*1\r\n$4\r\nPING\r\n".utf8), Array("PING\r\n".utf8)])
        #expect(rest == Array("*1\r\n$4\r\nPI".utf8))
    }

    @Test("parse then render is the identity on 10,000 random valid requests of each framing",
          arguments: RandomRequests.framings)
    func identity(_ framing: Framing) throws {
        var random = SeededRandom(seed: 7).derived(framing.description)
        for n in 0..<10_000 {
            let request = RandomRequests.request(framing, &random)
            let parsed = try #require(framing.parseRequest(request[...]), "\(framing) request \(n) did not parse: \(request)")
            try #require(parsed.length == request.count && parsed.fields.rendered() == request, "\(framing) request \(n): \(request)")
            if n % 100 == 0 {
                let (split, rest) = framing.splitRequests(request + request)
                if case .raw = framing { continue }
                #expect(split == [request, request] && rest.isEmpty, "\(framing) request \(n)")
            }
        }
    }

    @Test("no bytes make the request parser trap: random bytes and cut or damaged requests",
          arguments: RandomRequests.framings)
    func neverTraps(_ framing: Framing) {
        var random = SeededRandom(seed: 11).derived(framing.description)
        for _ in 0..<10_000 {
            var bytes = RandomRequests.request(framing, &random)
            switch random.int(in: 0...4) {
            case 0: bytes = RandomRequests.bytes(random.int(in: 0...64), &random)
            case 4:
                // A number at the edge of 64 bits where a digit was: lengths and sizes overflow.
                if let digit = bytes.firstIndex(where: { (0x30...0x39).contains($0) }) {
                    let edge = ["9223372036854775807", "ffffffffffffffff", "-9223372036854775808", "18446744073709551616"][random.int(in: 0...3)]
                    bytes.replaceSubrange(digit...digit, with: Array(edge.utf8))
                }
            case 1: bytes = Array(bytes.prefix(random.int(in: 0...bytes.count)))
            case 2 where !bytes.isEmpty: bytes[random.int(in: 0...(bytes.count - 1))] = UInt8(truncatingIfNeeded: random.next())
            default: bytes += RandomRequests.bytes(random.int(in: 0...8), &random)
            }
            if let (fields, length) = framing.parseRequest(bytes[...]) {
                #expect(fields.rendered() == Array(bytes.prefix(length)))
            }
            _ = framing.splitRequests(bytes)
        }
    }
}
