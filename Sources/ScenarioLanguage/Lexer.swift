// Splits scenario source into lines and lines into tokens. Lines are independent (no
// multi-line strings), which keeps error recovery trivial and lets the REPL lex one line at a time.

public enum Lexer {
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
