// Malformed streams give an error that says what and where (a stream offset inside the bytes
// fed), never a trap; an incomplete frame at the end of the stream is an error too.

import Framing
import Testing

@Suite("Malformed input is a located error")
struct MalformedInputTests {
    private func error(_ framing: Framing, _ text: String, finish: Bool = false) -> FramingError? {
        var decoder = FrameDecoder(framing)
        do {
            _ = try decoder.feed(Array(text.utf8))
            if finish { _ = try decoder.finish() }
            return nil
        } catch {
            return error
        }
    }

    @Test("RESP: unknown type byte, bad length, missing CRLF, deep nesting")
    func resp() {
        #expect(error(.resp(), "+OK\r\n?what\r\n")?.streamOffset == 5)
        #expect(error(.resp(), "$x\r\n")?.message.contains("non-digit") == true)
        #expect(error(.resp(), "$3\r\nabcXY")?.message.contains("not followed by CRLF") == true)
        #expect(error(.resp(), "+no carriage return\n")?.message.contains("CRLF") == true)
        #expect(error(.resp(), String(repeating: "*1\r\n", count: 100) + ":1\r\n")?.message.contains("nested") == true)
        #expect(error(.resp(), "#x\r\n") != nil)
        #expect(error(.resp(), "$-2\r\n") != nil)
    }

    @Test("HTTP: not a status line, bad Content-Length, conflicting lengths, bad chunk size")
    func http() {
        #expect(error(.http1(), "SSH-2.0-OpenSSH\r\n\r\n")?.message.contains("not an HTTP/1 status line") == true)
        #expect(error(.http1(), "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")?.message.contains("Content-Length") == true)
        #expect(error(.http1(), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")?.message.contains("conflicting") == true)
        #expect(error(.http1(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")?.message.contains("hexadecimal") == true)
    }

    @Test("limits: a line, a delimiter and a length past the maximum")
    func limits() {
        #expect(error(.line(maxLength: 4), "abcdefgh")?.message.contains("within 4 bytes") == true)
        #expect(error(.line(maxLength: 4), "abcdef\n")?.message.contains("longer than the limit") == true)
        #expect(error(.length(LengthPrefix(width: 4, maxLength: 10)), "\u{0}\u{0}\u{1}\u{0}")?.message.contains("over the limit") == true)
        #expect(error(.length(LengthPrefix(width: 2, includesPrefix: true)), "\u{0}\u{1}")?.message.contains("shorter than its own") == true)
    }

    @Test("the end of the stream inside a frame is an error; a close-delimited body is a frame")
    func endOfStream() throws {
        #expect(error(.resp(), "$5\r\nhel", finish: true)?.message.contains("ended inside a frame") == true)
        var http = FrameDecoder(.http1())
        #expect(try http.feed(Array("HTTP/1.0 200 OK\r\n\r\nabc".utf8)).isEmpty)
        #expect(try http.finish().map(\.bytes) == [Array("HTTP/1.0 200 OK\r\n\r\nabc".utf8)])
    }

    @Test("after an error the decoder stays broken")
    func staysBroken() {
        var decoder = FrameDecoder(.resp())
        #expect(throws: FramingError.self) { try decoder.feed(Array("?\r\n".utf8)) }
        #expect(throws: FramingError.self) { try decoder.feed(Array("+OK\r\n".utf8)) }
    }

    @Test("10,000 random and mutated streams never trap; errors point inside the stream")
    func randomInput() {
        var rng = SplitMix(seed: 7)
        let framings: [Framing] = [.line(maxLength: 64), .delimiter([0x0d, 0x0a], maxLength: 64), .resp(maxLength: 1 << 16),
                                   .http1(maxLength: 1 << 16), .length(LengthPrefix(width: 2, maxLength: 1 << 16)),
                                   .length(LengthPrefix(width: 8, bigEndian: false, includesPrefix: true))]
        for trial in 0..<10_000 {
            var bytes = frameStreams[trial % frameStreams.count].bytes
            // Mutate: flip, insert, delete or replace a few bytes (or start from noise).
            if trial % 10 == 0 { bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
            for _ in 0..<Int(rng.next() % 4) where !bytes.isEmpty {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                case 2: bytes.remove(at: i)
                default: bytes[i] = [0x0d, 0x0a, 0x2a, 0x24, 0x2d, 0x30, 0x3a][Int(rng.next() % 7)]
                }
            }
            let framing = framings[Int(rng.next() % UInt64(framings.count))]
            var decoder = FrameDecoder(framing)
            do {
                var fed = 0
                while fed < bytes.count {
                    let n = min(bytes.count - fed, 1 + Int(rng.next() % 50))
                    _ = try decoder.feed(Array(bytes[fed..<(fed + n)]))
                    fed += n
                }
                _ = try decoder.finish()
            } catch {
                #expect(error.streamOffset <= UInt64(bytes.count) + 8, "trial \(trial): \(error)")
            }
        }
    }
}
