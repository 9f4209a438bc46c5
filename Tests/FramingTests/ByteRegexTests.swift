// ByteRegex: the one bytes-to-text reading behind every regex check. Offsets must be byte
// offsets whatever the bytes (a reply is not text), text grown in pieces must equal text made
// whole, and a literal must match exactly its bytes, high bytes included.

import Framing
import Testing

@Suite("Regexes read bytes as Latin-1")
struct ByteRegexTests {
    /// Every byte value, twice, then a marker: offsets after high bytes show a UTF-8 reading at once.
    static let bytes: [UInt8] = (0...255).map(UInt8.init) + (0...255).map(UInt8.init) + Array("END=42;".utf8)

    @Test("match ranges and the first group are byte offsets, after bytes that are not UTF-8")
    func byteOffsets() throws {
        let m = try #require(try ByteRegex("END=(\\d+);").firstMatch(in: Self.bytes))
        #expect(m.range == 512..<519)
        #expect(m.firstGroup == 516..<518)
        #expect(try ByteRegex("\\xe9\\xea").matches(in: Self.bytes) == [0xe9..<0xeb, 0x1e9..<0x1eb])
        #expect(try ByteRegex("é").firstMatch(in: [0xc3, 0xa9, 0xe9])?.range == 2..<3)
        #expect(try ByteRegex("(x)?END").firstMatch(in: Self.bytes)?.firstGroup == nil)
    }

    @Test("text appended in pieces is the text made at once")
    func appendedInPieces() {
        var grown = Latin1Text()
        var start = 0
        for size in [1, 0, 3, 200, 7, 300] where start < Self.bytes.count {
            grown.append(Self.bytes[start..<min(start + size, Self.bytes.count)])
            start += size
        }
        grown.append(Self.bytes[min(start, Self.bytes.count)...])
        #expect(grown.string == Latin1Text(Self.bytes).string)
        #expect(grown.byteCount == Self.bytes.count)
        #expect(grown.string.unicodeScalars.map { UInt8($0.value) } == Self.bytes)
    }

    @Test("a literal matches exactly its bytes: regex characters and high bytes alike")
    func literal() throws {
        let value: [UInt8] = Array("a.b*(".utf8) + [0xe9, 0x00, 0xff]
        let regex = try ByteRegex("^" + ByteRegex.literal(value) + "$")
        #expect(regex.firstMatch(in: value) != nil)
        #expect(regex.firstMatch(in: Array("aXb*(".utf8) + [0xe9, 0x00, 0xff]) == nil)
        #expect(regex.firstMatch(in: Array("a.b*(".utf8) + [0xc3, 0xa9, 0x00, 0xff]) == nil)
    }
}
