// Tab completion, driven by `HelpTable` (the table behind `help`): command names, the fixed
// words and `key=` options of each form, server modes, stats, fault names, the groups that
// exist in the session, and file names after run / include / save / `send SEL file`.
// `Completer` is plain Swift (tested directly); the C callbacks below hand its answer to readline.

@preconcurrency import CReadline
import EmbeddedServer
import Foundation
import Framing
import Glibc
import ScenarioLanguage

enum Completion: Equatable {
    /// These words (already filtered by the prefix typed).
    case words([String])
    /// Let readline complete a file name.
    case files
}

enum Completer {
    /// Candidates for the word being typed (`word`), given the line before it (`before`) and the
    /// session's group names.
    static func complete(before: String, word: String, groups: [String]) -> Completion {
        guard let words = splitWords(before), !word.hasPrefix("\"") else { return .words([]) }
        func matching(_ candidates: [String]) -> Completion {
            var seen: Set<String> = []
            return .words(candidates.filter { $0.hasPrefix(word) && seen.insert($0).inserted })
        }
        guard let first = words.first else { return matching(HelpTable.firstWords) }
        if first == "help" || first == "?" { return matching(helpCandidates(Array(words.dropFirst()))) }
        if let console = HelpTable.consoleCommand(first) {
            if words.count == 1, console.syntax.contains("FILE") { return .files }
            if words.count == 2, first == "save" { return matching(["without-failed"]) }
            return .words([])
        }
        return formCompletion(words, word: word, groups: groups, matching: matching)
    }

    /// After `help`: command words, then the next word of multi-word form names.
    private static func helpCandidates(_ words: [String]) -> [String] {
        if words.isEmpty { return HelpTable.firstWords }
        return HelpTable.all.compactMap { entry in
            let name = entry.name.split(separator: " ").map(String.init)
            return name.count > words.count && name.starts(with: words) ? name[words.count] : nil
        }
    }

    private enum Element {
        case literal([String])
        case string
        case placeholder(String)
    }

    /// How a form matched the typed words: by fixed word or by placeholder, position by position.
    private struct Walk {
        var entry: HelpEntry
        var literalAt: [Bool]
        var candidates: [String]
        var files = false
    }

    private static func formCompletion(_ words: [String], word: String, groups: [String],
                                       matching: ([String]) -> Completion) -> Completion {
        var walks: [Walk] = []
        var nextCommandWords: [String] = []
        for entry in HelpTable.language {
            let command = entry.commandWords
            if words.count < command.count {
                if command.starts(with: words) { nextCommandWords.append(command[words.count]) }
                continue
            }
            guard words.starts(with: command) else { continue }
            if let walk = walk(entry, Array(words.dropFirst(command.count)), word: word, groups: groups) {
                walks.append(walk)
            }
        }
        if !nextCommandWords.isEmpty { return matching(nextCommandWords) }
        // A fixed word beats a placeholder at the same position (`expect server` is not a group).
        if let longest = walks.map(\.literalAt.count).max() {
            for position in 0..<longest where walks.contains(where: { $0.literalAt.count > position && $0.literalAt[position] }) {
                walks.removeAll { $0.literalAt.count > position && !$0.literalAt[position] }
            }
        }
        if walks.contains(where: \.files) && walks.allSatisfy({ $0.files || $0.candidates.isEmpty }) { return .files }
        return matching(walks.flatMap(\.candidates))
    }

    /// Matches the words after the command against one form; nil when they cannot be that form.
    private static func walk(_ entry: HelpEntry, _ words: [String], word: String, groups: [String]) -> Walk? {
        let (positional, tailWords) = elements(of: entry)
        var result = Walk(entry: entry, literalAt: [], candidates: [])
        for (i, typed) in words.enumerated() {
            guard i < positional.count else { break }
            switch positional[i] {
            case .literal(let alternatives):
                guard alternatives.contains(typed) else { return nil }
                result.literalAt.append(true)
            case .string:
                guard typed.hasPrefix("\"") else { return nil }
                result.literalAt.append(false)
            case .placeholder(let name):
                if name == "SEL" || name == "GROUP", typed.hasPrefix("\"") { return nil }
                result.literalAt.append(false)
            }
        }
        if words.count < positional.count {
            switch positional[words.count] {
            case .literal(let alternatives): result.candidates = alternatives
            case .string: break
            case .placeholder(let name):
                if name == "PATH" || name == "FILE" { result.files = true }
                result.candidates = placeholderValues(name, entry: entry, groups: groups)
            }
            return result
        }
        // Past the fixed part: options not given yet, a value after `key=`, nothing after `within`.
        if words.last == "within" { return result }
        if let equals = word.firstIndex(of: "=") {
            let key = String(word[..<equals])
            result.candidates = optionValues(key).map { "\(key)=\($0)" }
            return result
        }
        let used = Set(words.map { word in word.firstIndex(of: "=").map { String(word[...$0]) } ?? word })
        result.candidates = (entry.options + tailWords).filter { !used.contains($0) }
        return result
    }

    /// The fixed part of a form's syntax (up to the first `[`, `(` or option) and the bare words of its
    /// optional part (`within`, `edge`).
    private static func elements(of entry: HelpEntry) -> ([Element], [String]) {
        var tokens = tokenize(entry.syntax)
        tokens.removeFirst(entry.commandWords.count)
        var positional: [Element] = []
        var tail: [String] = []
        var optional = false
        for token in tokens {
            // Options (`size=SIZE`) may come in any order, so they end the fixed part too.
            if token.hasPrefix("[") || token.hasPrefix("(") || token.contains("=") { optional = true }
            let bare = token.trimmingCharacters(in: CharacterSet(charactersIn: "[]()"))
            if optional {
                if !bare.isEmpty, !bare.contains("="), bare.allSatisfy({ $0.isLowercase || $0 == "-" }) { tail.append(bare) }
                continue
            }
            if bare.hasPrefix("\"") {
                positional.append(.string)
            } else if bare.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "|" || $0 == "{" }) {
                positional.append(.literal(bare.split(separator: "|").map(String.init)))
            } else {
                positional.append(.placeholder(bare))
            }
        }
        return (positional, tail)
    }

    private static func placeholderValues(_ name: String, entry: HelpEntry, groups: [String]) -> [String] {
        switch name {
        case "SEL": return groups + ["*"]
        case "GROUP": return groups
        case "MODE": return ServerMode.allCases.map(\.rawValue)
        case "STAT": return ServerStat.allCases.map(\.rawValue)
        case "PCTL": return Percentile.allCases.map(\.rawValue)
        case "OP": return entry.keywords.filter { $0.allSatisfy { "<>=!".contains($0) } }
        case "FRAMING": return Self.framings + ["none"]
        default: return []
        }
    }

    /// Framings that need no argument, and the prefixes of those that do.
    static let framings = Framing.typedNames

    private static func optionValues(_ key: String) -> [String] {
        switch key {
        case "fault": return ServerFault.allCases.map(\.rawValue)
        case "framing": return framings
        default: return []
        }
    }

    /// Syntax words; a quoted placeholder (`"text"`) is one word.
    private static func tokenize(_ syntax: String) -> [String] {
        splitWords(syntax) ?? syntax.split(separator: " ").map(String.init)
    }

    /// The words of a line, a `"quoted string"` counting as one; nil inside an open quote.
    static func splitWords(_ line: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in line {
            if quoted {
                current.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { quoted = false }
            } else if c == " " || c == "\t" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                if c == "\"" { quoted = true }
                current.append(c)
            }
        }
        if quoted { return nil }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

// MARK: readline glue

/// Group names of the session, for completion. Set by the console before each prompt and read
/// by the completion callback, which readline calls from `rl_callback_read_char` on the same
/// (main) thread: single-threaded access, hence unsafe is fine.
nonisolated(unsafe) var completionGroups: [String] = []
/// The candidates of the completion in progress and the generator's position in them.
nonisolated(unsafe) private var completionCandidates: [String] = []
nonisolated(unsafe) private var completionPosition = 0

/// readline's generator protocol: called with state 0, 1, 2... until it returns NULL.
private func completionGenerator(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    if state == 0 { completionPosition = 0 }
    guard completionPosition < completionCandidates.count else { return nil }
    defer { completionPosition += 1 }
    return strdup(completionCandidates[completionPosition])
}

/// `rl_attempted_completion_function`: our candidates, or readline's file-name completion.
private func attemptCompletion(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    rl_attempted_completion_over = 1
    let before: String
    if let buffer = rl_line_buffer {
        let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(max(start, 0)))
        before = String(decoding: bytes, as: UTF8.self)
    } else {
        before = ""
    }
    let word = text.map { String(cString: $0) } ?? ""
    switch Completer.complete(before: before, word: word, groups: completionGroups) {
    case .files:
        rl_attempted_completion_over = 0
        return nil
    case .words(let candidates):
        guard !candidates.isEmpty else { return nil }
        completionCandidates = candidates
        // `rate=` wants its value right after the `=`, `length:` its argument after the `:`.
        if candidates.allSatisfy({ $0.hasSuffix("=") || $0.hasSuffix(":") }) { rl_completion_append_character = 0 }
        return rl_completion_matches(text, completionGenerator)
    }
}

enum ReadlineCompletion {
    /// Word breaks are blanks only, so `rate=100/s` and `web[3]` are one word each.
    private nonisolated(unsafe) static let wordBreaks = UnsafePointer(strdup(" \t\n"))  // owned by readline for the process's life

    static func install() {
        rl_attempted_completion_function = attemptCompletion
        rl_completer_word_break_characters = wordBreaks
    }
}
