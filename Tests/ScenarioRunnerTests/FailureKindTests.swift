// Each check names the kind of its failure where it fails (which check, and how), carried on the
// failure as a value: these pin the kinds a few typical failures get, and that a report keeps them.

import Foundation
import ScenarioLanguage
import ScenarioRunner
import Testing
import TestSupport

@Suite("failure kinds", .serialized, .sharesDescriptorTable)
struct FailureKindTests {
    func firstFailure(_ source: String, target: String? = nil) throws -> RunFailure? {
        var text = source
        if let target { text = "target \(target)\n" + text }
        let program = try ScenarioParser.parse(source: text, file: "kinds.scn")
        let result = ScenarioRunner.run(program, name: "kinds.scn", configuration: RunConfiguration())
        return result.failures.first
    }

    @Test("a corrupted echo is an echo failure with a wrong byte")
    func wrongByte() throws {
        let failure = try firstFailure("""
            server start epoll fault=corrupt-echo
            connect c 1
            send c[0] random 200
            expect c[0] echo within 2s
            """)
        #expect(failure?.kind == FailureKind(check: .echo, how: .wrongByte), "\(String(describing: failure))")
    }

    @Test("a connection the server closed, expected open, is a state failure by an early EOF")
    func closedState() throws {
        let server = try MisbehavingServer(.closesAtOnce)
        defer { server.stop() }
        let failure = try firstFailure("""
            connect c 1
            sleep 100ms
            expect c[0] open
            """, target: server.address)
        #expect(failure?.kind == FailureKind(check: .state(.open), how: .earlyEOF), "\(String(describing: failure))")
    }

    @Test("a reply the framing cannot parse is a protocol violation, in whatever reply check meets it")
    func malformedReply() throws {
        // `OK\r\n` is no RESP frame: `O` is no RESP type.
        let server = try MisbehavingServer(.lineReplies(plantedWrongReply: nil))
        defer { server.stop() }
        let failure = try firstFailure("""
            set framing resp
            connect c 1
            send c[0] "PING\\r\\n"
            expect c[0] replies 1 within 2s
            """, target: server.address)
        #expect(failure?.kind == FailureKind(check: .protocolViolation, how: .malformedReply), "\(String(describing: failure))")
    }

    @Test("one reply more than requests is a protocol violation, an extra reply")
    func extraReply() throws {
        let server = try MisbehavingServer(.duplicatesReply(every: 1))
        defer { server.stop() }
        let failure = try firstFailure("""
            set framing line
            connect c 1
            send c[0] "GET a\\r\\n"
            expect c[0] replies 1 within 2s
            expect c[0] no-reply within 300ms
            """, target: server.address)
        #expect(failure?.kind == FailureKind(check: .protocolViolation, how: .extraReply), "\(String(describing: failure))")
    }

    @Test("a reply that differs is a reply failure, a wrong reply; one that never comes, timed out")
    func wrongAndMissingReply() throws {
        let server = try MisbehavingServer(.lineReplies(plantedWrongReply: 0))
        defer { server.stop() }
        let wrong = try firstFailure("""
            set framing line
            connect c 1
            send c[0] "GET a\\r\\n"
            expect c[0] reply "OK\\r\\n" within 2s
            """, target: server.address)
        #expect(wrong?.kind == FailureKind(check: .reply, how: .wrongReply), "\(String(describing: wrong))")
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let missing = try firstFailure("""
            set framing line
            connect c 1
            send c[0] "GET a\\r\\n"
            expect c[0] replies 1 within 200ms
            """, target: silent.address)
        #expect(missing?.kind == FailureKind(check: .reply, how: .timedOut), "\(String(describing: missing))")
    }

    @Test("a kind survives a report: written as two words and read back; a report without kinds reads as unknown")
    func kindInReports() throws {
        let failure = RunFailure(at: SourceLocation(file: "f.scn", line: 3, column: 1), statement: "expect c open",
                                 expected: "open", seen: "reset", seed: 1, kind: FailureKind(check: .state(.open), how: .reset))
        let json = try JSONEncoder().encode(failure)
        #expect(String(decoding: json, as: UTF8.self).contains(#""check":"state open""#))
        #expect(try JSONDecoder().decode(RunFailure.self, from: json) == failure)
        let old = #"{"file":"f.scn","line":3,"column":1,"statement":"s","expected":"e","seen":"reset","seed":1}"#
        #expect(try JSONDecoder().decode(RunFailure.self, from: Data(old.utf8)).kind == .unknown)
    }
}
