// Semantic checks: groups must be connected before use, indices must fit the statically known
// size (connect counts summed, multiplied by enclosing repeats), `*` is always allowed.

import Testing
@testable import ScenarioLanguage

@Suite("Checker")
struct CheckerTests {
    @Test("connect counts add up across lines")
    func sums() {
        #expect(failure("connect web 3\nconnect web 4\nclose web[6]") == nil)
        #expect(failure("connect web 3\nconnect web 4\nclose web[7]") == "3:11: index 7 is out of range for 'web' (7 connections: 0..6)")
    }

    @Test("connects inside repeat count once per pass")
    func repeatMultiplies() {
        let body = "repeat 3 {\n  connect web 10\n}\n"
        #expect(failure(body + "close web[29]") == nil)
        #expect(failure(body + "close web[30]") == "4:11: index 30 is out of range for 'web' (30 connections: 0..29)")
        let nested = "repeat 2 {\n repeat 3 {\n  connect web 2\n }\n}\n"
        #expect(failure(nested + "close web[0..11]") == nil)
        #expect(failure(nested + "close web[12]") == "6:11: index 12 is out of range for 'web' (12 connections: 0..11)")
    }

    @Test("inside a repeat, an index is checked against the first pass")
    func firstPass() {
        #expect(failure("repeat 5 {\n  connect web 2\n  close web[1]\n}") == nil)
        #expect(failure("connect web 1\nrepeat 5 {\n  connect web 2\n  close web[2]\n}") == nil)
        #expect(failure("connect web 1\nrepeat 5 {\n  connect web 2\n  close web[3]\n}")
            == "4:13: index 3 is out of range for 'web' (3 connections: 0..2)")
    }

    @Test("a group only connected in repeat 0 exists but is empty")
    func repeatZero() {
        #expect(failure("repeat 0 {\n connect web 2\n}\nclose web") == nil)
        #expect(failure("repeat 0 {\n connect web 2\n}\nclose web[0]") == "4:11: index 0 is out of range for 'web' (0 connections)")
    }

    @Test("star needs no connect")
    func star() {
        #expect(failure("close *\nexpect * connected == 0\nsend * \"x\"") == nil)
    }

    @Test("expect server needs no group, and 'server' is never a group")
    func serverIsNotAGroup() {
        #expect(failure("expect server active == 0") == nil)
        #expect(failure("connect server 1") == "1:9: 'server' is a keyword, not a group name")
    }

    @Test("every selector position is checked", arguments: [
        "send nope \"x\"", "halfclose nope", "reset nope", "close nope", "pause nope", "resume nope",
        "expect nope echo", "expect nope p50 < 1ms", "expect nope connected > 1", "load nope size=1 depth=1 duration=1s",
    ])
    func everyPosition(source: String) {
        #expect(failure(source)?.hasSuffix("unknown group 'nope': no 'connect nope N' before this line") == true)
    }

    @Test("huge nested repeats saturate instead of overflowing")
    func saturation() {
        let source = "repeat 9G {\n repeat 9G {\n  repeat 9G {\n   connect web 9G\n  }\n }\n}\nclose web[9223372036854775806]"
        #expect(failure(source) == nil)
    }

    @Test("known groups can seed the checker")
    func seeded() throws {
        _ = try ScenarioParser.parse(source: "close web[4]", file: "x", knownGroups: ["web": 5])
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(source: "close web[5]", file: "x", knownGroups: ["web": 5]) }
    }
}

@Suite("Includes")
struct IncludeTests {
    @Test("an include becomes a statement whose body is located in the included file")
    func inlined() throws {
        let program = try parse("include lib/setup.scn\nclose web[1]", files: ["lib/setup.scn": "# setup\nconnect web 2"])
        guard case .include(let path, let body) = program.statements[0].command else {
            Issue.record("not an include")
            return
        }
        #expect(path == "lib/setup.scn")
        #expect(body == [Statement(command: .connect(group: "web", count: 2, rate: nil, timeout: nil),
                                   location: .init(file: "lib/setup.scn", line: 2, column: 1))])
        #expect(program.statements[1].location.file == "test.scn")
    }

    @Test("paths are relative to the including file, bare or quoted")
    func relative() throws {
        let files = [
            "dir/main.scn": "include sub/a.scn",
            "dir/sub/a.scn": "include \"../b c.scn\"",
            "dir/b c.scn": "sleep 1s",
        ]
        let program = try ScenarioParser.parseFile("dir/main.scn") { path in
            guard let text = files[path] else { throw MissingFile() }
            return text
        }
        guard case .include(_, let a) = program.statements[0].command,
              case .include(let inner, let b) = a[0].command else {
            Issue.record("unexpected shape")
            return
        }
        #expect(inner == "../b c.scn")
        #expect(b[0].location == .init(file: "dir/b c.scn", line: 1, column: 1))
    }

    @Test("including the same file twice is not a cycle")
    func diamond() throws {
        let files = ["a.scn": "include c.scn", "b.scn": "include c.scn", "c.scn": "sleep 1ms"]
        #expect(throws: Never.self) { try parse("include a.scn\ninclude b.scn\ninclude c.scn", files: files) }
    }

    @Test("a file including itself is a cycle located at the include")
    func selfCycle() {
        #expect(failure("sleep 1s\ninclude ./test.scn") == "2:9: include cycle: test.scn -> test.scn")
    }

    @Test("includes inside repeat multiply their connects")
    func includeInRepeat() {
        let files = ["c.scn": "connect web 2"]
        #expect(failure("repeat 3 {\n include c.scn\n}\nclose web[5]", files: files) == nil)
        #expect(failure("repeat 3 {\n include c.scn\n}\nclose web[6]", files: files)?.hasPrefix("4:11: index 6") == true)
    }

    @Test("a block must close in the file that opened it")
    func blocksDoNotSpanFiles() {
        let files = ["open.scn": "repeat 2 {"]
        #expect(failure("include open.scn\n}", files: files) == "1:1: unclosed 'repeat' block: no '}' before the end of the file")
    }

    @Test("parseFile reports an unreadable file at line 1")
    func unreadable() {
        #expect(throws: ScenarioError("cannot read scenario file 'gone.scn'", at: .init(file: "gone.scn", line: 1, column: 1))) {
            try ScenarioParser.parseFile("gone.scn") { _ in throw MissingFile() }
        }
    }
}
