// The REPL entry point: one line at a time, groups remembered between lines, multi-line
// repeat blocks, and a rejected line leaves the state untouched.

import Testing
@testable import ScenarioLanguage

@Suite("REPL parser")
struct ReplTests {
    @Test("groups connected on one line are known on the next")
    func persistentGroups() throws {
        var repl = ReplParser()
        guard case .complete(let s) = try repl.parseLine("connect web 3") else { Issue.record("not complete"); return }
        #expect(s.command == .connect(group: "web", count: 3, rate: nil, timeout: nil))
        #expect(s.location == .init(file: "<repl>", line: 1, column: 1))
        #expect(repl.groups == ["web": 3])
        guard case .complete(let t) = try repl.parseLine("close web[2]") else { Issue.record("not complete"); return }
        #expect(t.location.line == 2)
    }

    @Test("blank and comment lines are empty")
    func empty() throws {
        var repl = ReplParser()
        #expect(try repl.parseLine("") == .empty)
        #expect(try repl.parseLine("   # note") == .empty)
    }

    @Test("a repeat block is incomplete until its closing brace")
    func blocks() throws {
        var repl = ReplParser(knownGroups: ["web": 1])
        #expect(try repl.parseLine("repeat 2 {") == .incomplete(depth: 1))
        #expect(try repl.parseLine("connect web 2") == .incomplete(depth: 1))
        #expect(try repl.parseLine("repeat 3 {") == .incomplete(depth: 2))
        #expect(try repl.parseLine("") == .incomplete(depth: 2))
        #expect(try repl.parseLine("}") == .incomplete(depth: 1))
        #expect(repl.openBlocks == 1)
        guard case .complete(let s) = try repl.parseLine("}") else { Issue.record("not complete"); return }
        guard case .repeat(2, let body) = s.command else { Issue.record("not a repeat"); return }
        #expect(body.count == 2)
        #expect(repl.groups == ["web": 5])
    }

    @Test("a rejected line changes nothing")
    func transactional() throws {
        var repl = ReplParser()
        #expect(throws: ScenarioError.self) { try repl.parseLine("connect web 3 bogus") }
        #expect(repl.groups.isEmpty)
        _ = try repl.parseLine("repeat 2 {")
        #expect(throws: ScenarioError.self) { try repl.parseLine("close nope") }
        #expect(repl.openBlocks == 1)
        #expect(throws: ScenarioError.self) { try repl.parseLine("include missing.scn") }
    }

    @Test("errors carry the REPL line number, given or counted")
    func lineNumbers() {
        var repl = ReplParser(file: "session")
        #expect(throws: ScenarioError("unknown command 'x'", at: .init(file: "session", line: 7, column: 1))) {
            try repl.parseLine("x", line: 7)
        }
        #expect(throws: ScenarioError("unknown command 'y'", at: .init(file: "session", line: 8, column: 3))) {
            try repl.parseLine("  y")
        }
    }

    @Test("cancelling a block forgets its connects")
    func cancel() throws {
        var repl = ReplParser(knownGroups: ["web": 1])
        _ = try repl.parseLine("repeat 2 {")
        _ = try repl.parseLine("connect web 5")
        repl.cancelBlock()
        #expect(repl.openBlocks == 0)
        #expect(repl.groups == ["web": 1])
    }

    @Test("includes use the REPL's loader")
    func include() throws {
        var repl = ReplParser(loader: { path in
            guard path == "setup.scn" else { throw MissingFile() }
            return "connect db 4"
        })
        _ = try repl.parseLine("include setup.scn")
        #expect(repl.groups == ["db": 4])
    }
}
