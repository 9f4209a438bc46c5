// The load client's check of an echo compares against the pattern as it computes it: it must
// accept exactly the bytes `writePattern` sends, at every offset and length a read can cut a
// message into, and refuse any one of them altered.

@testable import Load
import Testing

@Suite("load message pattern")
struct MessagePatternTests {
    @Test("matchesPattern takes what writePattern wrote, for any piece of a message, and no byte altered")
    func matchesWhatWasWritten() {
        let size = 77 // not a multiple of 8: leading, whole-word and trailing bytes all occur
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size + 8, alignment: 8)
        defer { buffer.deallocate() }
        var checked = 0
        for seq: UInt64 in [0, 1, 12_345] {
            for from in 0..<size {
                for count in 1...(size - from) where (count + from) % 5 == 0 || count < 10 {
                    // At an odd address too: a read cuts the stream anywhere in the buffer.
                    let at = buffer + (from % 3)
                    writePattern(conn: 7, seq: seq, from: from, count: count, into: at)
                    #expect(matchesPattern(conn: 7, seq: seq, from: from, count: count, in: at))
                    #expect(!matchesPattern(conn: 8, seq: seq, from: from, count: count, in: at) || count < 2,
                            "another connection's message is another pattern")
                    let flip = (from * 31 + count) % count
                    at.storeBytes(of: at.load(fromByteOffset: flip, as: UInt8.self) ^ 0x20, toByteOffset: flip, as: UInt8.self)
                    #expect(!matchesPattern(conn: 7, seq: seq, from: from, count: count, in: at), "byte \(flip) of \(from)+\(count) altered")
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
    }
}
