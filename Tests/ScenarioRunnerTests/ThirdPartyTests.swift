// The echo scenarios against a real third-party echo server: socat running `cat` per connection.
// Reported as skipped where socat is not installed; under CI=true that fails (.ci/run installs it).

import Foundation
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport

@Suite("third-party targets", .serialized, .sharesDescriptorTable)
struct ThirdPartyTests {
    /// Scenarios that only need an echo server (their `server` lines are skipped for a target).
    static let echoScenarios = ["random-fragmented.scn", "pipelined-small.scn", "large-payload.scn", "half-close.scn"]

    @Test("the echo scenarios pass against socat's echo through --target", .needs(.socat), arguments: echoScenarios)
    func socatEcho(_ name: String) throws {
        let socat = try RequiredTool.socat.requirePath()
        // socat listens with a backlog of 5 unless told otherwise; a burst of 50 connects then
        // overflows its accept queue and some connections are reset mid-echo (sockfuzz finds
        // that too; it is socat's configuration, not what this test is about).
        let server = try SpawnedServer.start(socat, ["TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr,backlog=1024", "EXEC:cat"])
        defer { server.stop() }
        let path = RepoFiles.root.appendingPathComponent("scenarios").appendingPathComponent(name).path
        let program = try ScenarioParser.parseFile(path)
        let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(target: Target(server.address)))
        #expect(result.status == .passed, "\(name) against socat: \(result.failures.map(\.description)) \(result.note ?? "")")
        #expect(result.against.hasPrefix("target "))
    }
}
