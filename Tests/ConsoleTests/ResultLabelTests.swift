// Reports that say what happened (issue 20, item 10): a TLS run says TLS, a closing command
// counts the connections it closes (not a group's members that never opened), a request load's
// bytes count in the run's figures, and `--mode all` runs a file whose traffic all goes to a
// third-party server once, saying why, instead of the same test three times.

import Foundation
import Testing
import TestSupport

@Suite("result labels and counts", .childSlot)
struct ResultLabelTests {
    private func file(_ text: String, _ scratch: Scratch, _ name: String = "s.scn") throws -> String {
        let path = scratch.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("run --tls labels its result TLS")
    func tlsLabel() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["run", try file("connect a 1\nsend a \"hi\"\nexpect a echo\n", scratch), "--tls"], input: "", scratch: scratch)
        #expect(run.status == 0 && run.output.contains("s.scn [epoll TLS]"), "\(run.output)")
    }

    @Test("close counts the connections it closes: 2 open of a group of 4, two of them refused")
    func closeCountsLiveConnections() async throws {
        let scratch = Scratch()
        let run = try await Piped.run([], input: "connect a 2\nexpect a open within 5s\nserver stop\nconnect a 2\nsleep 300ms\nclose a\n", scratch: scratch)
        #expect(run.output.contains("a: 0/2 connected") && run.output.contains("2 refused"), "\(run.output)")
        #expect(run.output.contains("closing 2 connections:"), "\(run.output)")
    }

    @Test("a request load's bytes count in the run's figures")
    func requestLoadBytes() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["run", Binary.packageRoot + "/scenarios/request-load.scn"], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("0 B sent, 0 B received"), "\(run.output)")
        #expect(run.output.range(of: #"[0-9.]+ (KiB|MiB) sent, [0-9.]+ (KiB|MiB) received"#, options: .regularExpression) != nil, "\(run.output)")
    }

    @Test("--mode all runs a file that only talks to a third-party target once, and says why")
    func modeAllWithTargetLine() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let path = try file("target \(server.address)\nconnect a 1\nsend a \"hi\"\nexpect a echo\n", scratch)
        let run = try await Piped.run(["run", path, "--mode", "all", "--junit", scratch.path + "/r.xml"], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("sends all its traffic to a third-party server: run once, not once per --mode"), "\(run.output)")
        #expect(run.output.contains("1 passed, 0 failed"), "\(run.output)")
        let junit = try String(contentsOfFile: scratch.path + "/r.xml", encoding: .utf8)
        #expect(junit.components(separatedBy: "<testcase").count - 1 == 1, "one test case: \(junit)")
    }
}

@Suite("run -v", .childSlot)
struct RunVerboseTests {
    @Test("run -v shows replies as they arrive without the file saying set show text; without -v it does not")
    func verboseShowsReplies() async throws {
        let scratch = Scratch()
        let path = scratch.path + "/r.scn"
        try "connect c 1 framing=line\nsend c \"hello\\n\"\nexpect c reply \"hello\\n\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let verbose = try await Piped.run(["run", "-v", path], input: "", scratch: scratch)
        #expect(verbose.status == 0 && verbose.output.contains("c[0] reply: \"hello\\n\""), "\(verbose.output)")
        let quiet = try await Piped.run(["run", path], input: "", scratch: scratch)
        #expect(quiet.status == 0 && !quiet.output.contains("reply: \"hello"), "\(quiet.output)")
    }
}
