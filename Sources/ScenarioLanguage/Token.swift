// The lexer's output: whitespace-separated words and quoted strings, each with its location.
// Values (durations, selectors, key=value options) are read out of words by the parser.

public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A run of non-blank characters: `send`, `web[3]`, `250ms`, `port=8080`, `{`.
        case word
        /// A `"quoted"` string. `text` is the raw source between the quotes, escapes unprocessed,
        /// because `match` hands it to the regex engine verbatim while other commands decode it.
        case string
    }

    public var kind: Kind
    public var text: String
    public var location: SourceLocation
    /// Columns the token spans in the source, quotes included.
    public var width: Int

    public init(kind: Kind, text: String, location: SourceLocation, width: Int) {
        self.kind = kind
        self.text = text
        self.location = location
        self.width = width
    }

    /// The column just past the token: where "expected more" errors point at the end of a line.
    public var end: SourceLocation { location.advanced(by: width) }

    /// How error messages quote the token: a string keeps its quotes so users recognise it.
    var display: String { kind == .string ? "\"\(text)\"" : text }

    func isWord(_ word: String) -> Bool { kind == .word && text == word }
}
