// Bytes as the escaped text every quoted value here reads back: printable ASCII as is, `\r`, `\n`,
// `\t`, `\0`, `\\` and `\"` by name, any other byte as `\xHH`. The scenario language's string
// literals read it (they add rules of their own for UTF-8 and `${`), as do toxics' `reply=`.

public enum ByteEscaping {
    public static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        var out = ""
        for b in bytes { append(b, to: &out) }
        return out
    }

    /// One byte's escaped text, appended to `out`.
    public static func append(_ b: UInt8, to out: inout String) {
        switch b {
        case 0x0d: out += "\\r"
        case 0x0a: out += "\\n"
        case 0x09: out += "\\t"
        case 0x00: out += "\\0"
        case 0x5c: out += "\\\\"
        case 0x22: out += "\\\""
        case 0x20...0x7e: out.unicodeScalars.append(Unicode.Scalar(b))
        default: out += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
        }
    }
}
