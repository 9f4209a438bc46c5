// The one policy for a failing event loop, on the server's side: when the embedded server's
// loop fails, the statement running then fails naming it (never a silent stop), and the same
// statements pass on a server whose loop keeps running.

import ScenarioLanguage
import ScenarioRunner
import Testing

@Suite("The embedded server's loop failing", .serialized, .sharesDescriptorTable)
struct ServerLoopFailureTests {
    private func statements(_ source: String) throws -> [Statement] {
        try ScenarioParser.parse(source: source, file: "loop.scn").statements
    }

    private func run(injecting: Bool) throws -> RunStop? {
        let session = try ScenarioSession(configuration: RunConfiguration())
        defer { session.close() }
        try session.execute(try statements("server start epoll\nconnect c 1\nsend c \"x\"\nexpect c echo within 5s"))
        if injecting { session.server!.stats.injectLoopFailureForTesting() }
        // The leading connect only declares group c for the checker; it is dropped, not run again.
        let more = try statements("connect c 1\nconnect d 1\nsleep 200ms\nsend c \"y\"\nexpect c echo within 2s").dropFirst().map { $0 }
        do throws(RunStop) {
            // The next connect wakes the server's loop, which then fails (the cause is injected).
            try session.execute(more)
            return nil
        } catch {
            return error
        }
    }

    @Test("a failed server loop fails the statement that was running, naming the failure")
    func failureIsReported() throws {
        guard case .failed(let failure) = try run(injecting: true) else {
            Issue.record("the run passed although the server's loop failed")
            return
        }
        #expect(failure.seen.contains("the embedded server's event loop failed"), "\(failure.seen)")
    }

    @Test("the twin: the same statements pass while the loop runs")
    func twinPasses() throws {
        let stop = try run(injecting: false)
        #expect(stop == nil, "\(String(describing: stop))")
    }
}
