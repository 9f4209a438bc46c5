// Received bytes are copied aside only when a program matches them: echo checks need no copy.

import ScenarioLanguage
import Testing
@testable import ScenarioRunner

@Suite("the inbox")
struct InboxTests {
    static func needs(_ source: String) throws -> Bool {
        ScenarioRunner.needsInbox(try ScenarioParser.parse(source: source, file: "t.scn").statements)
    }

    @Test("only recv and match, wherever they stand, keep received bytes")
    func decided() throws {
        #expect(try !Self.needs("connect c 1\nsend c \"x\"\nexpect c echo\n"))
        #expect(try Self.needs("connect c 1\nexpect c recv \"x\"\n"))
        #expect(try Self.needs("connect c 1\nrepeat 2 {\n    expect c match \"x\"\n}\n"))
    }
}
