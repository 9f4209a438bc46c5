// What a framing codec produces: whole frames cut from a byte stream however it was fragmented,
// and errors that say where in the stream the bytes stopped making sense. No I/O here.

import Vocabulary

/// One complete message as it came over the wire (prefix, headers and terminator included), so
/// a failure can show exactly what arrived.
public struct Frame: Sendable, Equatable, CustomStringConvertible {
    public var bytes: [UInt8]
    /// Where the payload is inside `bytes` (a line without its terminator, a length-prefixed
    /// frame without its prefix, an HTTP response's body); the whole frame for raw and RESP.
    public var payload: Range<Int>
    /// Offset of the frame's first byte in the stream.
    public var streamOffset: UInt64

    public init(bytes: [UInt8], payload: Range<Int>? = nil, streamOffset: UInt64) {
        self.bytes = bytes
        self.payload = payload ?? 0..<bytes.count
        self.streamOffset = streamOffset
    }

    public var payloadBytes: ArraySlice<UInt8> { bytes[payload] }

    public var description: String { FrameText.render(bytes) }
}

/// The stream cannot be framed: malformed bytes, or a frame past its allowed size.
public struct FramingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Offset in the stream of the byte where framing failed.
    public var streamOffset: UInt64

    public init(_ message: String, at streamOffset: UInt64) {
        self.message = message
        self.streamOffset = streamOffset
    }

    public var description: String { "at stream offset \(streamOffset): \(message)" }
}

/// Frames shown to people: text with escapes when it is mostly printable, else a hex dump.
public enum FrameText {
    public static func render(_ bytes: [UInt8], limit: Int = 256) -> String {
        let shown = bytes.prefix(limit)
        let more = bytes.count > limit ? " … (\(bytes.count) bytes)" : ""
        let printable = shown.filter { (0x20...0x7e).contains($0) || $0 == 0x0d || $0 == 0x0a || $0 == 0x09 }.count
        if shown.isEmpty || printable * 10 >= shown.count * 9 {
            return "\"" + ByteEscaping.escaped(shown) + "\"" + more
        }
        return hexDump(Array(shown)) + more
    }

    /// One byte as a string literal writes it (the language's own escapes: ByteEscaping).
    static func escape(_ b: UInt8) -> String {
        var text = ""
        ByteEscaping.append(b, to: &text)
        return text
    }

    /// 16 bytes a row: offset, hex, and the printable bytes, like `hexdump -C`.
    public static func hexDump(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        func hex(_ b: UInt8) -> String { String([digits[Int(b >> 4)], digits[Int(b & 0xf)]]) }
        var rows: [String] = []
        for start in stride(from: 0, to: bytes.count, by: 16) {
            let row = bytes[start..<min(bytes.count, start + 16)]
            let offset = String(start, radix: 16)
            let hexes = row.map(hex).joined(separator: " ")
            let text = String(row.map { (0x20...0x7e).contains($0) ? Character(UnicodeScalar($0)) : "." })
            rows.append(String(repeating: "0", count: max(0, 8 - offset.count)) + offset + "  "
                        + hexes + String(repeating: " ", count: 47 - hexes.count) + "  |" + text + "|")
        }
        return rows.joined(separator: "\n")
    }
}
