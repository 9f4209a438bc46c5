// The echo scenarios against a real third-party echo server: socat running `cat` per connection.
// Skips, saying why, where socat is not installed (.ci/run installs it).

import Foundation
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport

@Suite("third-party targets", .serialized, .sharesDescriptorTable)
struct ThirdPartyTests {
    static let socat = ["/usr/bin/socat", "/bin/socat", "/usr/local/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Scenarios that only need an echo server (their `server` lines are skipped for a target).
    static let echoScenarios = ["random-fragmented.scn", "pipelined-small.scn", "large-payload.scn", "half-close.scn"]

    @Test("the echo scenarios pass against socat's echo through --target", arguments: echoScenarios)
    func socatEcho(_ name: String) throws {
        guard let socat = Self.socat else {
            print("skipped: socat is not installed (apt-get install socat); third-party echo not tested")
            return
        }
        // socat listens with a backlog of 5 unless told otherwise; a burst of 50 connects then
        // overflows its accept queue and some connections are reset mid-echo (sockfuzz finds
        // that too; it is socat's configuration, not what this test is about).
        let server = try SpawnedServer.start(socat, ["TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr,backlog=1024", "EXEC:cat"])
        defer { server.stop() }
        let path = RepoFiles.root.appendingPathComponent("scenarios").appendingPathComponent(name).path
        let program = try ScenarioParser.parseFile(path)
        let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(target: server.address))
        #expect(result.status == .passed, "\(name) against socat: \(result.failures.map(\.description)) \(result.note ?? "")")
        #expect(result.against.hasPrefix("target "))
    }
}
