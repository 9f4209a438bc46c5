// The language's value syntax for command-line arguments (`--duration 30s`, `--probe 'PING\r\n'`),
// so options read exactly like scenario files. Errors name the argument instead of a line.

public enum ArgumentValues {
    static let location = SourceLocation(file: "<argument>", line: 1, column: 1)

    public static func duration(_ text: String) throws(ScenarioError) -> ScenarioDuration {
        try NumberParsing.duration(Substring(text), at: location)
    }

    public static func size(_ text: String) throws(ScenarioError) -> ByteSize {
        try NumberParsing.size(Substring(text), at: location)
    }

    /// The bytes of `text` with the language's escapes (`\r \n \t \\ \" \0 \xHH`) decoded.
    public static func escapedBytes(_ text: String) throws(ScenarioError) -> [UInt8] {
        let tokens = try Lexer.tokenize(line: "\"" + text + "\"", number: 1, file: "<argument>")
        guard tokens.count == 1 else {
            throw ScenarioError("unexpected '\"' in '\(text)': write it as \\\"", at: location)
        }
        return try StringLiteral.bytes(of: tokens[0])
    }
}
