// Checks that stop a scenario before any I/O for what could only trap, grow without bound or
// fail at run time: connect counts past the machine's limit, connects paced over 24 h, server
// counters read after `target`; and the read-cursor commands `expect skip`/`expect drain`.

import Testing
@testable import ScenarioLanguage

@Suite("Session rules the checker enforces")
struct SessionRuleTests {
    static let limits = CheckLimits(maxConnections: 1000, reason: "a test limit")

    func limited(_ source: String) -> String? {
        do {
            _ = try ScenarioParser.parse(source: source, file: "t.scn", limits: Self.limits)
            return nil
        } catch {
            return "\(error.location.line):\(error.location.column): \(error.message)"
        }
    }

    @Test("a connect count past the limit is an error at the count; at the limit it is fine; no limit by default")
    func countLimit() {
        #expect(limited("connect a 1000") == nil)
        #expect(limited("connect a 20M") == "1:11: 20000000 connections can never be open at once: this process can hold at most 1000 (a test limit)")
        #expect(failure("connect a 20M") == nil)
    }

    @Test("the REPL parser applies the same limit")
    func replLimit() {
        var repl = ReplParser(limits: Self.limits)
        #expect(throws: ScenarioError.self) { try repl.parseLine("connect pipe 1G") }
        #expect(repl.groups.isEmpty)
    }

    @Test("a connect that would take over 24 h to start is an error at its rate, never a trap")
    func spread() {
        #expect(failure("connect b 2000 rate=1/10000h") == "1:21: 2000 connections at 1/10000h would take 20000000 h to start; a connect may take at most 24 h")
        #expect(failure("connect b 2000 rate=1/2562047h")?.hasPrefix("1:21: 2000 connections at 1/2562047h would take") == true)
        #expect(failure("connect b 24 rate=1/h") == nil)
        #expect(failure("connect b 25 rate=1/h") != nil)
    }

    @Test("expect server and server stats after target are errors until a server starts again")
    func serverAfterTarget() {
        #expect(failure("target 127.0.0.1:80\nexpect server accepted == 1")
            == "2:8: 'expect server' reads the embedded server, but 'target' at line 1 points connects at a third-party server and stopped it; put it before the 'target' or start a server first")
        #expect(failure("target 127.0.0.1:80\nserver stats")?.hasPrefix("2:8: 'server stats' reads the embedded server") == true)
        #expect(failure("target 127.0.0.1:80\nserver start epoll\nexpect server accepted == 1") == nil)
        #expect(failure("target 127.0.0.1:80\nserver mode busy\nserver stats") == nil)
        #expect(failure("expect server accepted == 0\ntarget 127.0.0.1:80") == nil)
    }

    @Test("expect skip and drain parse, render and check their selector")
    func cursorCommands() {
        #expect(command("expect web[0] skip 12 within 1s") == .expectSkip(.member("web", index: 0), ByteSize(bytes: 12), within: .seconds(1)))
        #expect(command("expect web drain") == .expectDrain(.group("web")))
        #expect(Command.expectSkip(.group("web"), ByteSize(bytes: 4096), within: nil).rendered == "expect web skip 4KiB")
        #expect(failure("connect web 1\nexpect web skip 0") == "2:17: skip must be at least 1 byte, got '0'")
        #expect(failure("connect web 1\nexpect web skip 4MiB") == nil)
        #expect(failure("connect web 1\nexpect web skip 5MiB")?.hasPrefix("2:17: skip can move past at most 4MiB at once") == true)
        #expect(failure("expect nope drain") == "1:8: unknown group 'nope': no 'connect nope N' before this line")
    }
}
