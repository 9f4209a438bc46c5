// Where something sits in a scenario file, and the one error type the language reports.
// Every error carries a location so a user can jump straight to the offending token.

/// A 1-based position in a scenario source. Columns count Unicode scalars (a tab is one column).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and compilers use so locations are clickable.
    public var description: String { "\(file):\(line):\(column)" }

    /// The same line, `offset` columns further right (for errors inside a word, e.g. the `hi` of `lo..hi`).
    func advanced(by offset: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column + offset)
    }
}

/// A lexical, syntax or semantic error in a scenario, located at the offending token.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// Short, lower-case, names the offending token in quotes; no location prefix.
    public var message: String

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// Exactly `file:line:column: message`.
    public var description: String { "\(location): \(message)" }
}
