// A cursor over one line's tokens with the small vocabulary every command parser shares:
// take the next word, read `key=value` options and flags, `within D`, reject trailing words.

struct TokenCursor {
    let tokens: [Token]
    private(set) var index = 0

    init(_ tokens: [Token]) { self.tokens = tokens }

    var isAtEnd: Bool { index >= tokens.count }
    func peek() -> Token? { isAtEnd ? nil : tokens[index] }

    mutating func next() -> Token? {
        defer { index += 1 }
        return peek()
    }

    /// Just past the last token: where "expected more" points when the line ran out.
    var endOfLine: SourceLocation { tokens.last!.end }

    /// The next token of either kind, or "expected WHAT, got end of line".
    mutating func take(_ what: String) throws(ScenarioError) -> Token {
        guard let token = next() else {
            throw ScenarioError("expected \(what), got end of line", at: endOfLine)
        }
        return token
    }

    /// The next token, which must be a word (not a string).
    mutating func word(_ what: String) throws(ScenarioError) -> Token {
        let token = try take(what)
        guard token.kind == .word else {
            throw ScenarioError("expected \(what), got \(token.display)", at: token.location)
        }
        return token
    }

    /// The command is complete: anything left is an error at its first extra token.
    func finish() throws(ScenarioError) {
        if let extra = peek() {
            throw ScenarioError("unexpected '\(extra.display)' after the end of the command", at: extra.location)
        }
    }

    /// An optional trailing `within DURATION`.
    mutating func within() throws(ScenarioError) -> ScenarioDuration? {
        guard let token = peek(), token.isWord("within") else { return nil }
        index += 1
        let value = try word("a duration after 'within'")
        return try NumberParsing.duration(Substring(value.text), at: value.location)
    }

    /// All remaining tokens as `key=value` options (each at most once) and bare flags, in any order.
    mutating func options(for command: String, keys: [String], flags: [String] = []) throws(ScenarioError) -> Options {
        var options = Options()
        while let token = next() {
            let text = Substring(token.text)
            if token.kind == .word, flags.contains(token.text) {
                guard options.flags[token.text] == nil else {
                    throw ScenarioError("duplicate option '\(text)'", at: token.location)
                }
                options.flags[token.text] = token.location
                continue
            }
            guard token.kind == .word, let equals = text.firstIndex(of: "="), keys.contains(String(text[..<equals])) else {
                let expected = Self.list(keys.map { $0 + "=" } + flags)
                throw ScenarioError("unknown option '\(token.display)' for '\(command)': expected \(expected)", at: token.location)
            }
            let key = String(text[..<equals])
            guard options.values[key] == nil else {
                throw ScenarioError("duplicate option '\(key)='", at: token.location)
            }
            let value = text[text.index(after: equals)...]
            options.values[key] = (value, token.location.advanced(by: key.unicodeScalars.count + 1), token.location)
        }
        return options
    }

    /// "a, b or c" for messages.
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }
}

/// Options read by `TokenCursor.options`: raw value text with its location, parsed on demand.
struct Options {
    /// key -> value text, where the value starts, where the `key=` word starts.
    var values: [String: (text: Substring, location: SourceLocation, keyLocation: SourceLocation)] = [:]
    /// Flags given, with where (so a flag that conflicts with something can be pointed at).
    var flags: [String: SourceLocation] = [:]

    func has(_ key: String) -> Bool { values[key] != nil }

    /// The option parsed by `parse`, or nil when it was not given.
    func value<T>(_ key: String, _ parse: (Substring, SourceLocation) throws(ScenarioError) -> T) throws(ScenarioError) -> T? {
        guard let option = values[key] else { return nil }
        return try parse(option.text, option.location)
    }

    /// Where the option's value starts (for errors about the value).
    func location(of key: String) -> SourceLocation? { values[key]?.location }
    /// Where the option's `key=` word starts (for errors about the option itself).
    func keyLocation(of key: String) -> SourceLocation? { values[key]?.keyLocation }
}
