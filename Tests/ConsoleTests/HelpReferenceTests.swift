// `help` and the references agree: every form `help` knows has a section in
// docs/scenario-language.md (scenario commands) or docs/console.md (console commands) with the
// same syntax line, summary and example that `help NAME` prints, and neither document has a
// command `help` does not know. The console binary's own `help` output is checked too.

import Foundation
import ScenarioLanguage
import Testing
@testable import sockfuzz

private func document(_ name: String) throws -> String {
    try String(contentsOfFile: Binary.packageRoot + "/docs/" + name, encoding: .utf8)
}

/// The `### name` sections of a document's `## Commands` chapter.
private func commandSections(_ doc: String) throws -> [String: String] {
    let chapter = try #require(doc.components(separatedBy: "\n## Commands\n").dropFirst().first)
        .components(separatedBy: "\n## ")[0]
    var sections: [String: String] = [:]
    for part in chapter.components(separatedBy: "\n### ").dropFirst() {
        sections[String(part.prefix { $0 != "\n" })] = part
    }
    return sections
}

/// What `help NAME` shows for one form: syntax line, summary (unwrapped) and example.
private func helpText(_ entry: HelpEntry) -> (syntax: String, summary: String, example: String) {
    let lines = HelpTable.detail([entry], width: 80)
    let exampleStart = lines.firstIndex { $0.hasPrefix("    example: ") }!
    let summary = lines[1..<exampleStart].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    var example = [String(lines[exampleStart].dropFirst("    example: ".count))]
    for line in lines[(exampleStart + 1)...] where line.hasPrefix("             ") {
        example.append(String(line.dropFirst(13)))
    }
    return (lines[0], summary, example.joined(separator: "\n"))
}

/// The fenced blocks of a document that hold scenario code, with the line each starts on: every
/// block except a section's syntax sketch (the block right under a `### name` heading) and error
/// output (every line `FILE.scn:LINE:COLUMN: message`), so a block added later is checked by default.
private func scenarioSnippets(_ doc: String) -> [(line: Int, code: String)] {
    var snippets: [(line: Int, code: String)] = []
    var open: (line: Int, isSketch: Bool, body: [String])?
    var previous = ""  // the last non-blank line outside a block
    for (number, line) in doc.components(separatedBy: "\n").enumerated() {
        if line.hasPrefix("```") {
            if let block = open {
                let isErrorOutput = block.body.allSatisfy { $0.contains(#/^\S+\.scn:\d+:\d+: /#) }
                if !block.isSketch && !isErrorOutput { snippets.append((block.line, block.body.joined(separator: "\n"))) }
                open = nil
            } else {
                open = (number + 2, previous.hasPrefix("### "), [])
            }
        } else if open != nil {
            open!.body.append(line)
        } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            previous = line
        }
    }
    return snippets
}

@Suite("Help and the references", .childSlot)
struct HelpReferenceTests {
    @Test("the help table is the language's command table plus the console commands")
    func oneTable() {
        #expect(HelpTable.language.map(\.name) == CommandTable.all.map(\.name))
        #expect(Set(HelpTable.all.map(\.name)).count == HelpTable.all.count)
        #expect(Set(HelpTable.console.map(\.name)).isDisjoint(with: CommandTable.commandWords))
    }

    @Test("every form's help matches its section of the reference", arguments: HelpTable.all.map(\.name))
    func documented(name: String) throws {
        let entry = try #require(HelpTable.all.first { $0.name == name })
        let sections = try commandSections(document(entry.isConsole ? "console.md" : "scenario-language.md"))
        let section = try #require(sections[name], "no section '### \(name)'")
        let help = helpText(entry)
        #expect(section.contains("\n\(help.syntax)\n"), "syntax of \(name) differs from `help \(name)`")
        #expect(section.contains(help.summary), "summary of \(name) differs from `help \(name)`")
        #expect(section.contains("\n\(help.example)\n"), "example of \(name) differs from `help \(name)`")
    }

    @Test("every scenario snippet in the language reference parses, after a connect of the group it uses")
    func snippetsParse() throws {
        let snippets = scenarioSnippets(try document("scenario-language.md"))
        // The opening example and one example per command, at least.
        #expect(snippets.count > CommandTable.all.count, "found only \(snippets.count) scenario snippets")
        for snippet in snippets {
            // Example payload files are not read by the parser; included files are given as empty.
            #expect(throws: Never.self, "docs/scenario-language.md:\(snippet.line):\n\(snippet.code)") {
                // `segment` comes before any connect.
                let connect = snippet.code.hasPrefix("segment ") ? "" : "connect web 100\n"
                try ScenarioParser.parse(source: connect + snippet.code, file: "doc.scn") { _ in "" }
            }
        }
    }

    @Test("the console reference documents exactly the console commands")
    func noStrayConsoleSections() throws {
        #expect(Set(try commandSections(document("console.md")).keys) == Set(HelpTable.console.map(\.name)))
    }

    @Test("`help` in the running console lists every command, `help NAME` shows syntax and example")
    func binaryHelp() async throws {
        let scratch = Scratch()
        let names = HelpTable.all.map(\.name)
        let run = try await Piped.run([], input: (["help"] + names.map { "help \($0)" }).joined(separator: "\n"), scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        for entry in HelpTable.all {
            #expect(run.output.contains("\n  \(entry.name) ") || run.output.hasPrefix("Scenario commands") && run.output.contains("  \(entry.name) "),
                    "`help` does not list \(entry.name)")
            #expect(run.output.contains("\n\(entry.syntax)\n"), "`help \(entry.name)` does not show its syntax")
            #expect(run.output.contains("example: \(entry.example.split(separator: "\n")[0])"), "`help \(entry.name)` has no example")
        }
    }
}
