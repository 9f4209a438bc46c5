// The echo check keeps random bytes as the stream that made them: taken again in any pieces it
// must make exactly the bytes `SeededRandom.fill` sent (in 64 KiB chunks), skipping must land
// where taking would, and a backlog of literal and random runs gives the bytes back in order.

@testable import ClientEngine
import Testing
import Vocabulary

@Suite("echo backlog")
struct EchoBacklogTests {
    /// What the engine sends for `count` random bytes from `seed`: fill in 64 KiB chunks.
    static func sent(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededRandom(seed: seed)
        var out: [UInt8] = []
        var left = count
        while left > 0 {
            let chunk = min(left, 64 * 1024)
            var part = [UInt8](repeating: 0, count: chunk)
            part.withUnsafeMutableBytes { generator.fill($0) }
            out += part
            left -= chunk
        }
        return out
    }

    @Test("a random stream taken in uneven pieces, with skips, makes the bytes that were sent")
    func streamMatchesFill() {
        let expected = Self.sent(200_003, seed: 99)
        var stream = RandomByteStream(SeededRandom(seed: 99))
        var got: [UInt8] = []
        var at = 0
        var piece = 1
        while at < expected.count {
            let n = min(piece, expected.count - at)
            if piece % 5 == 0 {
                stream.skip(n)
                got += expected[at..<(at + n)]
            } else {
                var part = [UInt8](repeating: 0, count: n)
                part.withUnsafeMutableBytes { stream.take(n, into: $0.baseAddress!) }
                got += part
                #expect(part[...] == expected[at..<(at + n)], "piece at \(at), \(n) bytes")
            }
            at += n
            piece = piece * 3 % 70_001 + 1
        }
        #expect(got == expected)
    }

    @Test("a backlog of literal and random runs gives its bytes back in order, whatever the pieces")
    func backlogInOrder() {
        let random = Self.sent(100_000, seed: 5)
        let literal: [UInt8] = Array("hello, echo".utf8)
        var backlog = EchoBacklog()
        literal.withUnsafeBytes { backlog.appendLiteral($0.baseAddress!, 5) }
        var stream = RandomByteStream(SeededRandom(seed: 5))
        backlog.appendRandom(stream, 70_000)
        stream.skip(70_000)
        backlog.appendRandom(stream, 30_000)
        literal.withUnsafeBytes { backlog.appendLiteral($0.baseAddress! + 5, literal.count - 5) }
        let want = Array(literal[..<5]) + random + Array(literal[5...])
        #expect(backlog.count == want.count)

        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { scratch.deallocate() }
        var got: [UInt8] = []
        var ask = 3
        while !backlog.isEmpty {
            let bytes = backlog.peek(ask, scratch: scratch)
            got += bytes
            backlog.consume(bytes.count)
            ask = ask * 7 % 50_000 + 1
        }
        #expect(got == want)
        backlog.release()
    }
}
