// How to start the server under test (`--spawn 'CMD ... {port}'`): a shell command in which
// `{port}` stands for a free loopback port picked at each start. A simple command (no shell
// operators) is exec'd by the shell, so the process sockfuzz watches is the server itself and
// its exit status or signal is the server's.

import Foundation

public struct SpawnCommand: Sendable, Hashable, CustomStringConvertible, Codable {
    /// As the user wrote it, `{port}` included.
    public let text: String

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard !text.allSatisfy({ $0 == " " || $0 == "\t" }) else {
            throw Invalid(description: "an empty command")
        }
        self.text = text
    }

    public var description: String { text }

    /// Whether the port is the command's to take (`{port}`); without it, the server listens
    /// where the target says.
    public var choosesPort: Bool { text.contains(Self.portPlaceholder) }

    public static let portPlaceholder = "{port}"

    /// `/bin/sh -c` with `{port}` filled in; `exec` in front of a simple command.
    func arguments(port: Int?) -> [String] {
        var line = text
        if let port { line = line.replacingOccurrences(of: Self.portPlaceholder, with: String(port)) }
        return ["/bin/sh", "-c", isSimple ? "exec " + line : line]
    }

    /// No shell operator, redirection, grouping or substitution outside quotes, and no shell
    /// keyword first: `exec` in front keeps the command's meaning.
    var isSimple: Bool {
        let operators: Set<Character> = [";", "&", "|", "<", ">", "(", ")", "`", "\n", "{", "}", "$"]
        var quote: Character?
        var escaped = false
        var outside = ""
        for c in text.replacingOccurrences(of: Self.portPlaceholder, with: "0") {
            if escaped { escaped = false; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil }
                // `$(...)` and backquotes substitute inside double quotes too.
                if q == "\"" && (c == "`" || c == "$") { return false }
                continue
            }
            if c == "'" || c == "\"" { quote = c; continue }
            if operators.contains(c) { return false }
            outside.append(c)
        }
        let keywords: Set<String> = ["if", "for", "while", "until", "case", "exec", "cd", "export", "set", "!", "time"]
        let first = outside.split(separator: " ").first.map(String.init) ?? ""
        return quote == nil && !keywords.contains(first) && !first.contains("=")
    }
}
