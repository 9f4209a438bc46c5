// `expect SEL skip SIZE` waits for SIZE more bytes and discards them: bytes that never come fail
// it at the deadline saying how many arrived, and a connection the peer ended fails it at once.

import ScenarioLanguage
import Testing
import TestSupport
@testable import ScenarioRunner

@Suite("skip", .serialized, .sharesDescriptorTable)
struct SkipTests {
    func firstFailure(_ source: String) throws -> RunFailure? {
        let program = try ScenarioParser.parse(source: source, file: "skip.scn")
        return ScenarioRunner.run(program, name: "skip.scn", configuration: RunConfiguration(mode: .epoll)).failures.first
    }

    @Test("bytes that never come fail the skip at its deadline, saying how many arrived")
    func shortAtTheDeadline() throws {
        let failure = try #require(try firstFailure("""
            connect a 1
            send a "hello"
            expect a skip 10 within 3s
            """))
        // 3 s for 5 bytes to come back on loopback: the count does not hang on the machine's load.
        #expect(failure.line == 3)
        #expect(failure.expected.hasPrefix("10 byte(s) to skip on a within"), "\(failure.expected)")
        #expect(failure.seen == "a[0]: only 5 byte(s) arrived", "\(failure.seen)")
        #expect(failure.kind == FailureKind(check: .skip, how: .timedOut))
    }

    @Test("a connection the peer ended fails the skip at once, naming the connection and what arrived")
    func endedByThePeer() throws {
        let started = ContinuousClock.now
        let failure = try #require(try firstFailure("""
            connect a 1
            send a "hello"
            halfclose a
            expect a skip 10 within 10s
            """))
        #expect(ContinuousClock.now - started < .seconds(5), "at once, not at the 10 s deadline")
        #expect(failure.line == 4)
        #expect(failure.expected == "10 byte(s) to skip on a", "\(failure.expected)")
        #expect(failure.seen.hasPrefix("a[0]: ") && failure.seen.hasSuffix("after 5 of 10 bytes"), "\(failure.seen)")
    }

    @Test("a skip that gets its bytes moves the cursor past them")
    func skipped() throws {
        #expect(try firstFailure("""
            connect a 1
            send a "hello world"
            expect a skip 6 within 2s
            expect a recv "world" within 2s
            """) == nil)
    }
}
