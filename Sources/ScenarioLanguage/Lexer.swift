// Turns a file's bytes into text, splits it into lines and lines into tokens. Lines are
// independent (no multi-line strings), which keeps error recovery trivial and lets the REPL lex
// one line at a time. Comments may hold any bytes; commands and strings must be UTF-8.

public enum Lexer {
    /// A scenario file's bytes as text. A comment may hold bytes that are not UTF-8 (a Latin-1
    /// `é`): they are shown as U+FFFD and ignored like the rest of the comment. Such a byte in a
    /// command or a string is an error at its line and column, since it would change what is sent.
    public static func decode(_ bytes: [UInt8], file: String) throws(ScenarioError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var lines: [String] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let code = line[..<commentStart(line)]
            guard let text = String(validating: code, as: UTF8.self) else {
                throw invalidByte(in: code, at: SourceLocation(file: file, line: index + 1, column: 1))
            }
            lines.append(text + String(decoding: line[code.endIndex...], as: UTF8.self))
        }
        return lines.joined(separator: "\n")
    }

    /// Index of the `#` that starts the line's comment (outside a string), or the line's end.
    /// Works on bytes: `"`, `\` and `#` are ASCII and never part of a multi-byte sequence.
    private static func commentStart(_ line: ArraySlice<UInt8>) -> Int {
        var inString = false
        var i = line.startIndex
        while i < line.endIndex {
            switch line[i] {
            case UInt8(ascii: "\\") where inString: i += 1
            case UInt8(ascii: "\""): inString.toggle()
            case UInt8(ascii: "#") where !inString: return i
            default: break
            }
            i += 1
        }
        return line.endIndex
    }

    /// The error for the first byte of `code` that is not UTF-8, at its column (counted in
    /// scalars, as the tokenizer counts).
    private static func invalidByte(in code: ArraySlice<UInt8>, at lineStart: SourceLocation) -> ScenarioError {
        var iterator = code.makeIterator()
        var decoder = UTF8()
        var column = 1
        var offset = code.startIndex
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            column += 1
            offset += UTF8.width(scalar)
        }
        let byte = offset < code.endIndex ? code[offset] : 0
        let hex = "0x" + String(byte, radix: 16, uppercase: true)
        var location = lineStart
        location.column = column
        return ScenarioError("byte \(hex) is not UTF-8: commands and strings must be UTF-8 (only comments may hold other bytes)", at: location)
    }

    /// The lines of a source: `\n` separates them and a `\r` before it is dropped (CRLF files).
    /// Splits on scalars, not Characters, because Swift treats `\r\n` as a single Character.
    public static func lines(of source: String) -> [String] {
        source.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = String.UnicodeScalarView(line)
            if scalars.last == "\r" { scalars.removeLast() }
            return String(scalars)
        }
    }

    /// Tokens of one line. `#` outside a string starts a comment; blanks are space, tab, CR, VT, FF.
    public static func tokenize(line: String, number: Int, file: String) throws(ScenarioError) -> [Token] {
        let scalars = Array(line.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func location(_ index: Int) -> SourceLocation {
            SourceLocation(file: file, line: number, column: index + 1)
        }
        while i < scalars.count {
            let c = scalars[i]
            if isBlank(c) { i += 1; continue }
            if c == "#" { break }
            let start = i
            if c == "\"" {
                i = try endOfString(scalars, openingQuote: start, location: location)
                let raw = String(String.UnicodeScalarView(scalars[(start + 1)..<i]))
                i += 1  // past the closing quote
                if i < scalars.count, !isBlank(scalars[i]), scalars[i] != "#" {
                    throw ScenarioError("expected a space after the closing '\"', got '\(scalars[i])'", at: location(i))
                }
                tokens.append(Token(kind: .string, text: raw, location: location(start), width: i - start))
                continue
            }
            while i < scalars.count, !isBlank(scalars[i]), scalars[i] != "#" {
                if scalars[i] == "\"" && i > start && scalars[i - 1] == "=" {
                    // `key="value"`: the quoted value belongs to the word, quotes and escapes as written.
                    i = try endOfString(scalars, openingQuote: i, location: location) + 1
                    if i < scalars.count, !isBlank(scalars[i]), scalars[i] != "#" {
                        throw ScenarioError("expected a space after the closing '\"', got '\(scalars[i])'", at: location(i))
                    }
                    break
                }
                if scalars[i] == "\"" {
                    let word = String(String.UnicodeScalarView(scalars[start..<i]))
                    throw ScenarioError("unexpected '\"' after '\(word)': put a space before the string", at: location(i))
                }
                i += 1
            }
            let word = String(String.UnicodeScalarView(scalars[start..<i]))
            tokens.append(Token(kind: .word, text: word, location: location(start), width: i - start))
        }
        return tokens
    }

    /// Index of the closing quote. A backslash always skips the next scalar, so `\"` never closes.
    private static func endOfString(
        _ scalars: [Unicode.Scalar], openingQuote: Int, location: (Int) -> SourceLocation
    ) throws(ScenarioError) -> Int {
        var i = openingQuote + 1
        while i < scalars.count {
            if scalars[i] == "\\" { i += 2; continue }
            if scalars[i] == "\"" { return i }
            i += 1
        }
        throw ScenarioError("unterminated string: missing closing '\"'", at: location(openingQuote))
    }

    static func isBlank(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
    }
}
