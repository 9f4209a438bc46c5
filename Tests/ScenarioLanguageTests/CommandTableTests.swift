// Keeps the command table, the parser and docs/scenario-language.md in step: every form's
// syntax line and example appear verbatim in the doc, every example parses to its form, and
// the parser takes exactly the options the table lists (what help and completion offer).

import Foundation
import Testing
import TestSupport
@testable import ScenarioLanguage

private let docURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("docs/scenario-language.md")

@Suite("Command table", .sharesDescriptorTable)
struct CommandTableTests {
    @Test("form names are unique")
    func uniqueNames() {
        #expect(Set(CommandTable.all.map(\.name)).count == CommandTable.all.count)
    }

    @Test("every example parses to a command of its own form", arguments: CommandTable.all.map(\.name))
    func examplesParse(name: String) throws {
        let spec = try #require(CommandTable.spec(named: name))
        let program = try ScenarioParser.parse(source: spec.example, file: "example.scn", knownGroups: ["web": 100]) { _ in "" }
        #expect(program.statements.count == 1)
        #expect(program.statements.first?.command.specName == spec.name)
    }

    /// What the parser says when it refuses a word as an option (the toxic's words are toxiproxy's).
    static let refusals = ["unknown option", "unexpected '", "has no attribute", "expected upstream, downstream"]

    /// The parser's complaint about `line` (with groups `web` and proxy `db` known), nil when it parses.
    func complaint(_ line: String) -> String? {
        do {
            _ = try ScenarioParser.parse(source: "proxy db\n" + line, file: "options.scn", knownGroups: ["web": 100]) { _ in "" }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The example with `word` added before its `within`, or at its end.
    func example(_ spec: CommandSpec, with word: String) -> String {
        guard let within = spec.example.range(of: " within ") else { return spec.example + " " + word }
        return spec.example.replacingCharacters(in: within, with: " \(word) within ")
    }

    @Test("every option a form lists in the table is one the parser takes",
          arguments: CommandTable.all.filter { !$0.options.isEmpty }.map(\.name))
    func listedOptionsAccepted(name: String) throws {
        let spec = try #require(CommandTable.spec(named: name))
        for option in spec.options {
            // A value may be wrong for the option (that is its own error); the option must not be refused.
            let word = option.hasSuffix("=") ? option + "1" : option
            let written = spec.example.contains(" \(word.prefix { $0 != "=" })")
            let line = written ? spec.example : example(spec, with: word)
            let refused = complaint(line).flatMap { complaint in Self.refusals.first { complaint.contains($0) }.map { _ in complaint } }
            #expect(refused == nil, "\(name): '\(option)' refused in `\(line)`")
        }
    }

    @Test("an option no form lists is refused, named in the message",
          arguments: CommandTable.all.filter { !$0.options.isEmpty }.map(\.name))
    func unlistedOptionsRefused(name: String) throws {
        let spec = try #require(CommandTable.spec(named: name))
        for word in ["bogus=1", "bogus"] {
            let said = complaint(example(spec, with: word))
            #expect(said?.contains("'bogus") == true && Self.refusals.contains { said!.contains($0) },
                    "\(name): `\(word)` not refused: \(said ?? "parsed")")
        }
    }

    /// Values the options take (the rest take `1`).
    static let validValues = ["request=": #""x""#, "request-file=": "r.txt", "framing=": "line", "oracle=": "content",
                              "mask=": #""x""#, "spawn=": #""c {port}""#, "hang-timeout=": "1s", "expect=": #""x""#,
                              "sni=": "x", "alpn=": "h2", "verify=": "off", "ca=": "c.pem", "version=": "1.3",
                              "probe=": #""x""#, "match=": #""x""#, "reply=": #""x""#, "capture=": "x"]

    /// Forms of one command share a parser, so an option one form lists could slip into its sibling
    /// (`sni=` into a plain `connect`, `request=` into an echo `load`). Added to a form's example,
    /// a sibling's option is refused, or the line parses as a form that lists it.
    @Test("an option only a sibling form lists is refused, or makes the line that sibling",
          arguments: CommandTable.all.map(\.name))
    func siblingOptionsRefusedOrSwitchForm(name: String) throws {
        let spec = try #require(CommandTable.spec(named: name))
        let siblings = CommandTable.all.filter { $0.command == spec.command && $0.name != spec.name }
        for option in Set(siblings.flatMap(\.options)).subtracting(spec.options).sorted() {
            // A value each option takes, so that an error speaks of the option, not of its value.
            let word = option.hasSuffix("=") ? option + (Self.validValues[option] ?? "1") : option
            let line = example(spec, with: word)
            let program: Program
            do {
                program = try ScenarioParser.parse(source: "proxy db\n" + line, file: "options.scn", knownGroups: ["web": 100]) { _ in "" }
            } catch {
                // Refused, or it made the line a sibling form that then says what that form
                // needs (`request-file=` asks for `framing=`); an error that names neither the
                // option nor its forms' options means it was taken and not read.
                let keys = siblings.filter { $0.options.contains(option) }.flatMap(\.options).map { String($0.prefix { $0 != "=" }) }
                #expect(Self.refusals.contains { error.message.contains($0) } || keys.contains { error.message.contains($0) },
                        "\(name): sibling option '\(option)' not refused by name in `\(line)`: \(error.message)")
                continue
            }
            let parsedAs = try #require(program.statements.last).command.specName
            #expect(CommandTable.spec(named: parsedAs)?.options.contains(option) == true,
                    "\(name): sibling option '\(option)' taken by `\(line)`, parsed as \(parsedAs), which does not list it")
        }
    }

    @Test("the checks a run counts are the expect forms, the loads and the fuzz campaigns, and nothing else")
    func checks() {
        let checks = CommandTable.all.filter(\.isCheck)
        #expect(Set(checks.map(\.command)) == ["expect", "fuzz", "load"])
        #expect(checks.count == CommandTable.all.filter { ["expect", "fuzz", "load"].contains($0.command) }.count)
        #expect(CommandTable.all.filter { $0.kind == .block }.map(\.name) == ["include", "repeat"])
    }

    @Test("what each form reads of the bytes received: the inbox through the cursor, the echo books, or whole replies")
    func reading() {
        func forms(_ reading: CommandSpec.Reading) -> [String] { CommandTable.all.filter { $0.reads == reading }.map(\.name) }
        #expect(forms(.inbox) == ["expect recv", "expect match", "expect skip", "expect drain"])
        #expect(forms(.echo) == ["expect echo", "fuzz", "fuzz request", "fuzz content"])
        #expect(forms(.replies(consumes: true)) == ["expect reply", "expect reply match", "expect replies"])
        #expect(forms(.replies(consumes: false)) == ["expect no-reply"])
    }

    @Test("the command words cover every form")
    func commandWords() {
        #expect(CommandTable.commandWords == ["seed", "segment", "set", "print", "sleep", "include", "repeat", "server", "target",
                                              "spawn", "connect", "send", "halfclose", "reset", "close", "pause", "resume",
                                              "expect", "load", "fuzz", "proxy", "toxic"])
    }

    /// The `### name` sections of the doc's `## Commands` chapter, by name.
    func commandSections() throws -> [String: String] {
        let doc = try String(contentsOf: docURL, encoding: .utf8)
        let chapter = try #require(doc.components(separatedBy: "\n## Commands\n").dropFirst().first)
            .components(separatedBy: "\n## ")[0]
        var sections: [String: String] = [:]
        for part in chapter.components(separatedBy: "\n### ").dropFirst() {
            let name = String(part.prefix { $0 != "\n" })
            sections[name] = part
        }
        return sections
    }

    @Test("the reference has one section per form and no others")
    func sectionsMatchTable() throws {
        #expect(Set(try commandSections().keys) == Set(CommandTable.all.map(\.name)))
    }

    @Test("each section shows its form's syntax line, summary and example verbatim", arguments: CommandTable.all.map(\.name))
    func documented(name: String) throws {
        let spec = try #require(CommandTable.spec(named: name))
        let section = try #require(try commandSections()[name], "no section '### \(name)'")
        #expect(section.contains("\n\(spec.syntax)\n"), "syntax line of \(name) missing")
        #expect(section.contains("\n\(spec.example)\n"), "example of \(name) missing")
        #expect(section.contains(spec.summary), "summary of \(name) missing")
    }

    @Test("the reference names every mode, stat, percentile and connection state")
    func vocabulary() throws {
        let doc = try String(contentsOf: docURL, encoding: .utf8)
        let words = ServerMode.allCases.map(\.rawValue) + ServerStat.allCases.map(\.rawValue)
            + Percentile.allCases.map(\.rawValue) + ConnectionState.allCases.map(\.rawValue)
        let missing = words.filter { !doc.contains("`\($0)`") }
        #expect(missing.isEmpty)
    }
}
