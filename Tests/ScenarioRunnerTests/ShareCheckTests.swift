// Count checks on a share (`segment i/n`) compare with the share's part of the value; an `==`
// whose part is a fraction can never hold there, so it fails at once, saying so, instead of
// waiting out its deadline and reporting a count as if the server were short.

import ScenarioLanguage
import ScenarioRunner
import Testing
import TestSupport

@Suite("count checks on a share", .serialized, .sharesDescriptorTable)
struct ShareCheckTests {
    @Test("== whose share of the value is a fraction fails at once, naming the fraction")
    func fractionalEqualityFailsAtOnce() throws {
        // 8 connections in 4 shares: 2 on each; == 5 would need 1.25 of them on this one.
        let source = "segment 0/4\nconnect web 8\nexpect web connected == 5 within 10s\n"
        let program = try ScenarioParser.parse(source: source, file: "share.scn")
        let started = ContinuousClock.now
        let result = ScenarioRunner.run(program, name: "share.scn", configuration: RunConfiguration(mode: .epoll))
        let took = ContinuousClock.now - started
        let failure = try #require(result.failures.first, "\(result.status)")
        #expect(failure.line == 3)
        #expect(failure.expected == "a count whose share is a whole number", "\(failure)")
        #expect(failure.seen.contains("its part of 5 is 5 × 2/8 = 1.25"), "\(failure.seen)")
        #expect(took < .seconds(5), "at once, not after the 10 s deadline: \(took)")
    }
}
