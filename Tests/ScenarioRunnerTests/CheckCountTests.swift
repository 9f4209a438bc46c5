// The run's check counts (ScenarioResult.checks, what reports and metrics show): a check that
// held, failed or was skipped is counted as such, a skip is never a pass, and an echo check
// that held but is failed at the end of the run by bytes after its echo moves from passed to
// failed. Each case checks the counts against a server that makes that outcome happen.

import ScenarioLanguage
import Syscalls
import Testing
import TestSupport
@testable import ScenarioRunner

@Suite("check counts", .serialized, .sharesDescriptorTable)
struct CheckCountTests {
    static func run(_ source: String, against server: MisbehavingServer) throws -> ScenarioResult {
        let program = try ScenarioParser.parse(source: source, file: "checks.scn")
        return ScenarioRunner.run(program, name: "checks.scn",
                                  configuration: RunConfiguration(target: Target(try SocketAddress.parse(server.address))))
    }

    @Test("held, skipped (a server check against a target) and failed checks are counted apart")
    func passedSkippedFailed() throws {
        let server = try MisbehavingServer(.silent)
        defer { server.stop() }
        let result = try Self.run("""
            connect c 1
            expect c connected == 1 within 5s
            expect server descriptors == 0
            send c "hi"
            expect c match "never" within 100ms
            print "not reached"

            """, against: server)
        #expect(result.status == .failed, "\(result.failures)")
        #expect(result.checks == CheckCounts(passed: 1, failed: 1, skipped: 1), "\(String(describing: result.checks))")
    }

    @Test("an echo check failed at the end of the run by a late byte counts as failed, not passed")
    func echoFailedAtEnd() throws {
        let server = try MisbehavingServer(.lateByte(delayMillis: 100))
        defer { server.stop() }
        let result = try Self.run("connect a 1\nsend a \"hello\"\nexpect a echo within 5s\nsleep 500ms\n", against: server)
        #expect(result.status == .failed, "\(result.failures)")
        #expect(result.failures.first?.line == 3, "\(result.failures)")
        #expect(result.checks == CheckCounts(passed: 0, failed: 1, skipped: 0), "\(String(describing: result.checks))")
    }

    @Test("a whole run that skipped every check, or made none, is skipped, not passed: its report says nothing was checked")
    func nothingCheckedIsSkipped() throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let skipped = try Self.run("connect c 1\nexpect server active == 0\n", against: server)
        #expect(skipped.status == .skipped && skipped.note?.contains("all 1 check was skipped") == true, "\(skipped)")
        let none = try Self.run("connect c 1\nsend c \"x\"\n", against: server)
        #expect(none.status == .skipped && none.note == "nothing was checked: no check was made (expect, load or fuzz)", "\(none)")
        // The twin: one check that held makes it a pass.
        #expect(try Self.run("connect c 1\nexpect server active == 0\nexpect c open\n", against: server).status == .passed)
    }
}
