// Escape handling for quoted strings: decoding `\r \n \t \\ \" \0 \xHH` into bytes at parse
// time, and the inverse (canonical quoting) for rendering. Regex strings bypass decoding.

import Vocabulary

enum StringLiteral {
    /// The bytes a string token stands for. Text is UTF-8; `\xHH` may add any byte.
    static func bytes(of token: Token) throws(ScenarioError) -> [UInt8] {
        let raw = Array(token.text.unicodeScalars)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            guard c == "\\" else {
                out.append(contentsOf: Array(String(c).utf8))
                i += 1
                continue
            }
            let here = token.location.advanced(by: 1 + i)
            // The lexer never ends a string token on a backslash, but tokens can be built by hand.
            guard i + 1 < raw.count else {
                throw ScenarioError("unknown escape '\\' at the end of the string", at: here)
            }
            let next = raw[i + 1]
            switch next {
            case "r": out.append(0x0D)
            case "n": out.append(0x0A)
            case "t": out.append(0x09)
            case "\\": out.append(0x5C)
            case "\"": out.append(0x22)
            case "0": out.append(0x00)
            case "x":
                let digits = raw[(i + 2)..<min(i + 4, raw.count)]
                guard digits.count == 2, let hi = hexValue(digits.first!), let lo = hexValue(digits.last!) else {
                    let got = String(String.UnicodeScalarView(digits))
                    throw ScenarioError("expected two hex digits after '\\x', got '\(got)'", at: here)
                }
                out.append(hi << 4 | lo)
                i += 2
            default:
                throw ScenarioError("unknown escape '\\\(next)': use \\r \\n \\t \\\\ \\\" \\0 or \\xHH", at: here)
            }
            i += 2
        }
        return out
    }

    /// A string token that must be text (print, paths): decoded and validated as UTF-8.
    static func text(of token: Token) throws(ScenarioError) -> String {
        let decoded = try bytes(of: token)
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw ScenarioError("string \(token.display) is not valid utf-8", at: token.location)
        }
        return text
    }

    static func hexValue(_ c: Unicode.Scalar) -> UInt8? {
        switch c {
        case "0"..."9": return UInt8(c.value - 48)
        case "a"..."f": return UInt8(c.value - 87)
        case "A"..."F": return UInt8(c.value - 55)
        default: return nil
        }
    }

    /// Canonical quoted form of bytes. Printable ASCII stays, the named escapes are used where they
    /// exist, valid printable non-ASCII UTF-8 stays readable, and every other byte becomes `\xHH`.
    static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            // A literal `${` would read back as a reference.
            case 0x24 where i + 1 < bytes.count && bytes[i + 1] == 0x7B: out += hexEscape(b)
            case 0x80...:
                if let (scalar, length) = printableScalar(in: bytes, at: i) {
                    out.unicodeScalars.append(scalar)
                    i += length
                    continue
                }
                out += hexEscape(b)
            default: ByteEscaping.append(b, to: &out)
            }
            i += 1
        }
        return out + "\""
    }

    static func quote(_ text: String) -> String { quote(Array(text.utf8)) }

    private static func hexEscape(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0xF)])
    }

    /// A well-formed multi-byte UTF-8 sequence at `i` whose scalar is visible (not a control,
    /// format or separator character, which would be invisible or break the line in a file).
    private static func printableScalar(in bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[i]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length > 0, i + length <= bytes.count,
              let s = String(validating: bytes[i..<(i + length)], as: UTF8.self),
              let scalar = s.unicodeScalars.first, s.unicodeScalars.count == 1
        else { return nil }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator,
             .unassigned, .privateUse, .surrogate, .nonspacingMark, .enclosingMark, .spacingMark:
            return nil
        default:
            return (scalar, length)
        }
    }

    /// Quotes a regex for `match`, which takes string contents verbatim: only an unescaped quote
    /// and a raw line feed (which would end the line) change, into regex-equivalent escapes.
    /// A parsed pattern never contains either, so parsed patterns render back unchanged.
    static func quoteRegex(_ pattern: String) -> String {
        var out = "\""
        var escaped = false
        for c in pattern.unicodeScalars {
            switch c {
            case "\n": out += escaped ? "n" : "\\n"
            case "\"": out += escaped ? "\"" : "\\\""
            default: out.unicodeScalars.append(c)
            }
            escaped = !escaped && c == "\\"
        }
        // A trailing lone backslash would escape the closing quote.
        if escaped { out += "\\" }
        return out + "\""
    }
}
