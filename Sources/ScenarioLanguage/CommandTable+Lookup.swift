// What the parser asks of the command table: the options a command takes, the words that may
// follow `server` or `set`, and the kinds of per-connection `expect`. Each is read from the
// forms' rows, so a form added or changed there is accepted, described and completed alike.

extension CommandTable {
    /// The forms `command` stands for, as `help` finds them: every form typed with it
    /// (`connect`: plain and TLS), else the one form of that name (`send random`).
    static func forms(of command: String) -> [CommandSpec] {
        let words = command.split(separator: " ")
        let typed = all.filter { $0.command.split(separator: " ").starts(with: words) }
        return typed.isEmpty ? all.filter { $0.name == command } : typed
    }

    /// The options those forms take between them, each once, in table order.
    static func options(of command: String) -> [String] {
        var seen: Set<String> = []
        return forms(of: command).flatMap(\.options).filter { seen.insert($0).inserted }
    }

    /// The second words of the forms of `word`: `server`: start, stop, stats, mode.
    static func subcommands(of word: String) -> [String] {
        var seen: Set<String> = []
        return all.compactMap { spec in
            let words = spec.command.split(separator: " ")
            guard words.count == 2, words[0] == word else { return nil }
            return seen.insert(String(words[1])).inserted ? String(words[1]) : nil
        }
    }

    /// The words that may follow `expect SEL`, as the syntax lines write them (a percentile's
    /// `PCTL` is no word).
    static let expectationWords: [String] = {
        var seen: Set<String> = []
        return all.filter { $0.kind == .expectation && $0.syntax.hasPrefix("expect SEL ") }.flatMap { spec in
            let word = spec.syntax.dropFirst("expect SEL ".count).prefix { $0 != " " }
            return word.split(separator: "|").map(String.init).filter { $0 == $0.lowercased() && seen.insert($0).inserted }
        }
    }()
}

extension TokenCursor {
    /// All remaining tokens as the options `command`'s forms take in the command table (see
    /// `CommandTable.forms(of:)`); `command` also names it in errors.
    mutating func options(for command: String) throws(ScenarioError) -> Options {
        let accepted = CommandTable.options(of: command)
        return try options(for: command, keys: CommandSpec.keys(of: accepted), flags: CommandSpec.flags(of: accepted))
    }
}
