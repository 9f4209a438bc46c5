// One byte as a person reads it in a verdict: 'H' when printable ASCII, else 0x07.

enum ByteText {
    static func quoted(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "'") { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16)
        return "0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}
