// Tokens the mutator puts into requests: from an AFL-format dictionary (`--dict FILE`), and
// learned from the seeds and the server's replies (the words a server answers with are the
// words it parses: commands, header names, error prefixes).

public struct TokenDictionaryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(path):\(line):\(column): \(message)" }
}

public enum TokenDictionary {
    /// AFL's dictionary format: one token a line, `name="value"`, `name@level="value"` or
    /// `"value"`, with `\\`, `\"` and `\xHH` escapes; `#` comments and blank lines are skipped.
    public static func parse(_ text: String, path: String) throws(TokenDictionaryError) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(rawLine.utf8)
            func fail(_ column: Int, _ message: String) -> TokenDictionaryError {
                TokenDictionaryError(path: path, line: n + 1, column: column + 1, message: message)
            }
            var i = 0
            while i < line.count && (line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0d) { i += 1 }
            guard i < line.count, line[i] != UInt8(ascii: "#") else { continue }
            if line[i] != UInt8(ascii: "\"") {
                while i < line.count && (isNameByte(line[i]) || line[i] == UInt8(ascii: "@")) { i += 1 }
                while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                guard i < line.count, line[i] == UInt8(ascii: "=") else {
                    throw fail(i, "expected '=' after a token name (a line is name=\"value\" or \"value\")")
                }
                i += 1
                while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                guard i < line.count, line[i] == UInt8(ascii: "\"") else { throw fail(i, "expected '\"' to start the value") }
            }
            i += 1
            var token: [UInt8] = []
            var closed = false
            while i < line.count {
                let b = line[i]
                if b == UInt8(ascii: "\"") { closed = true; i += 1; break }
                if b == UInt8(ascii: "\\") {
                    guard i + 1 < line.count else { throw fail(i, "'\\' at the end of the line") }
                    switch line[i + 1] {
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): token.append(line[i + 1]); i += 2
                    case UInt8(ascii: "x"):
                        guard i + 3 < line.count, let v = UInt8(String(decoding: line[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) else {
                            throw fail(i, "expected two hex digits after '\\x'")
                        }
                        token.append(v); i += 4
                    default: throw fail(i, "unknown escape '\\\(UnicodeScalar(line[i + 1]))' (use \\\\, \\\" or \\xHH)")
                    }
                    continue
                }
                guard b >= 0x20 && b < 0x7f else { throw fail(i, "a byte that is not printable: write it as \\x\(String(b, radix: 16))") }
                token.append(b)
                i += 1
            }
            guard closed else { throw fail(line.count, "the value has no closing '\"'") }
            while i < line.count && (line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0d) { i += 1 }
            guard i == line.count || line[i] == UInt8(ascii: "#") else { throw fail(i, "unexpected text after the value") }
            guard !token.isEmpty else { throw fail(i - 1, "an empty token") }
            tokens.append(token)
        }
        return tokens
    }

    /// The words in `bytes`: runs of letters, digits, `-`, `_` and `.` of 2 to 32 bytes, in
    /// order of appearance. A RESP error's prefix (`-ERR`) and a header name come out as words.
    public static func words(in bytes: [UInt8]) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var start: Int?
        for i in 0...bytes.count {
            let isWord = i < bytes.count && isNameByte(bytes[i])
            if isWord, start == nil { start = i }
            if !isWord, let s = start {
                if (2...32).contains(i - s) { words.append(Array(bytes[s..<i])) }
                start = nil
            }
        }
        return words
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
    }
}
