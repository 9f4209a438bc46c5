// What a session remembers of its reads: a capture wins over the environment for `${NAME}`, the
// run's end checks verified echoes in connection order, and each connection's ending is its own.

import ScenarioLanguage
import Glibc
import Testing
@testable import ScenarioRunner

@Suite("a session's read state")
struct ReadStateTests {
    static func statement(line: Int) -> Statement {
        Statement(command: .expectEcho(.all, within: nil), location: SourceLocation(file: "t.scn", line: line, column: 1))
    }

    @Test("${NAME} is a capture before the environment variable of that name")
    func captureWinsOverEnvironment() {
        let name = "SOCKFUZZ_READSTATE_TEST_\(getpid())"
        setenv(name, "from the environment", 1)
        defer { unsetenv(name) }
        var reads = ReadState()
        #expect(reads.referenceValue(name) == Array("from the environment".utf8), "the environment answers while nothing is captured")
        reads.capture(name, Array("captured".utf8))
        #expect(reads.referenceValue(name) == Array("captured".utf8))
        #expect(reads.referenceValue("SOCKFUZZ_NEVER_SET_ANYWHERE") == nil)
    }

    @Test("verified echoes come back in connection order, each with the check that verified it last")
    func echoesInIdOrder() {
        var reads = ReadState()
        reads.echoVerified(7, by: Self.statement(line: 1))
        reads.echoVerified(2, by: Self.statement(line: 2))
        reads.echoVerified(7, by: Self.statement(line: 3))
        #expect(reads.echoVerified.map(\.id) == [2, 7])
        #expect(reads.echoVerified.map(\.by.location.line) == [2, 3])
        #expect(reads.echoVerifier(of: 5) == nil)
    }

    @Test("a framing error is reported for its own connection only")
    func framingErrorPerConnection() {
        var reads = ReadState()
        reads.reportFramingError(3)
        #expect(reads.framingErrorReported(3))
        #expect(!reads.framingErrorReported(4))
    }

    @Test("an ending names the verb and the line that ended that connection")
    func endingPerConnection() {
        var reads = ReadState()
        reads.ended(1, by: "reset by us", at: SourceLocation(file: "t.scn", line: 9, column: 1))
        #expect(reads.ending(of: 1)?.verb == "reset by us")
        #expect(reads.ending(of: 1)?.at.line == 9)
        #expect(reads.ending(of: 2) == nil)
    }
}
