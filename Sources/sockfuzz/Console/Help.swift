// The console's one table of commands: every form of the scenario language (from
// `CommandTable`, the table the language reference is tested against) plus the console's own
// commands. `help` and tab completion both read it, so they cannot disagree.

import ScenarioLanguage

/// A form `help` describes: one of the language's, or a console command.
@dynamicMemberLookup
struct HelpEntry: Sendable, Equatable {
    /// Its name, syntax, summary, example, keywords and options (`entry.syntax` reads them).
    var spec: CommandSpec
    /// A console command (not valid in scenario files).
    var isConsole: Bool

    subscript<Field>(dynamicMember field: KeyPath<CommandSpec, Field>) -> Field { spec[keyPath: field] }

    var commandWords: [String] { spec.command.split(separator: " ").map(String.init) }
}

enum HelpTable {
    static let language: [HelpEntry] = CommandTable.all.map { HelpEntry(spec: $0, isConsole: false) }

    /// Commands only the console knows. docs/console.md describes them (a test keeps it in step).
    static let console: [HelpEntry] = [
        entry("help", "help [COMMAND]",
              "Lists every command with a one-line summary; `help COMMAND` shows its syntax and an example.",
              "help send random"),
        entry("status", "status",
              "Shows the server, each group's connections by state, and the seed and deadlines in effect.",
              "status"),
        entry("history", "history [N]",
              "Lists the lines typed, in this and earlier sessions (the last N).",
              "history 20"),
        entry("save", "save FILE [without-failed]",
              "Writes the commands run so far, after the seed and the server they ran against, as a scenario file that `sockfuzz run FILE` replays. A check that failed is kept, with a comment, so the file reproduces it; `without-failed` leaves those out.",
              "save /tmp/session.scn"),
        entry("run", "run FILE",
              "Runs a scenario file's commands in this session, as if they were typed, stopping at the first failure.",
              "run scenarios/half-close.scn"),
        entry("quit", "quit",
              "Closes every connection, stops the server and leaves the console (also `exit` or Ctrl-D).",
              "quit"),
    ]

    static let all = language + console

    /// Other names for console commands.
    static let aliases = ["exit": "quit", "?": "help"]

    /// The distinct first words, in table order (what a line can start with).
    static let firstWords: [String] = {
        var seen: Set<String> = []
        return all.compactMap { entry in
            let word = entry.commandWords[0]
            return seen.insert(word).inserted ? word : nil
        } + aliases.keys.filter { $0.first!.isLetter }.sorted()
    }()

    /// The console command a line starts with, if it does (`exit` is `quit`).
    static func consoleCommand(_ word: String) -> HelpEntry? {
        let name = aliases[word] ?? word
        return console.first { $0.name == name }
    }

    /// The forms `help QUERY` describes: all forms of a command (`send`, `server`, `expect`),
    /// or the one form with that name (`send random`, `expect echo`).
    static func entries(for query: String) -> [HelpEntry] {
        let words = query.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { return [] }
        let normalized = words.joined(separator: " ")
        if let alias = aliases[normalized] { return all.filter { $0.name == alias } }
        let byCommand = all.filter { $0.commandWords.starts(with: words) }
        return byCommand.isEmpty ? all.filter { $0.name == normalized } : byCommand
    }

    /// The closest command word to a mistyped one (at most 2 edits, a swap of two neighbouring
    /// letters counting as one), for "did you mean". Ties go to the word sharing more letters
    /// with the typed one (`sned`: `send` over `seed`), then to the earlier word in the table.
    static func suggestion(for word: String) -> String? {
        Suggestion.closest(to: word, among: firstWords)
    }

    // MARK: rendering

    /// `help`: every form with its summary, wrapped to `width`.
    static func overview(width: Int) -> [String] {
        let nameWidth = all.map(\.name.count).max()! + 2
        var lines = ["Scenario commands (also valid in .scn files):"]
        for entry in language { lines += row(entry.name, entry.summary, nameWidth: nameWidth, width: width) }
        lines.append("")
        lines.append("Console commands:")
        for entry in console { lines += row(entry.name, entry.summary, nameWidth: nameWidth, width: width) }
        lines.append("")
        lines.append("`help COMMAND` shows its syntax and an example, e.g. `help send random`; Tab completes.")
        lines.append("SEL selects connections: GROUP, GROUP[i], GROUP[i..j] or *. The reference: docs/scenario-language.md.")
        return lines
    }

    /// `help CMD`: syntax, summary and example of each form.
    static func detail(_ entries: [HelpEntry], width: Int) -> [String] {
        var lines: [String] = []
        for (i, entry) in entries.enumerated() {
            if i > 0 { lines.append("") }
            lines.append(entry.syntax)
            lines += wrap(entry.summary, width: width, indent: "    ")
            let example = entry.example.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("    example: " + example[0])
            for more in example.dropFirst() { lines.append("             " + more) }
            if entry.isConsole { lines.append("    (console only)") }
        }
        return lines
    }

    private static func row(_ name: String, _ summary: String, nameWidth: Int, width: Int) -> [String] {
        let indent = String(repeating: " ", count: nameWidth + 2)
        var lines = wrap(summary, width: width, indent: indent)
        lines[0] = "  " + name.padded(to: nameWidth) + lines[0].dropFirst(indent.count)
        return lines
    }

    /// Words of `text` filled into lines of at most `width` columns, each starting with `indent`.
    static func wrap(_ text: String, width: Int, indent: String) -> [String] {
        let room = max(width - indent.count - 1, 30)
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > room {
                lines.append(indent + current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        lines.append(indent + current)
        return lines
    }

    private static func entry(_ name: String, _ syntax: String, _ summary: String, _ example: String) -> HelpEntry {
        HelpEntry(spec: CommandSpec(name: name, command: name, syntax: syntax, summary: summary, example: example), isConsole: true)
    }
}
