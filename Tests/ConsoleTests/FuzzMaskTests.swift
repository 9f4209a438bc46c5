// A --mask does what it looks like (issue 20, item 17): written for one header line of a reply
// (`^Date: .*$`) it masks that line's value, so a server whose Date changes with every reply is
// quiet; a mask that matches nothing in any reference reply is said before fuzzing, and the
// changing header is then a finding labelled as a reply failure.

import Testing
import TestSupport

@Suite("fuzz --mask", .childSlot, .serialized)
struct FuzzMaskTests {
    private func fuzz(mask: String, _ server: MisbehavingServer, _ scratch: Scratch) async throws -> PipedRun {
        try await Piped.run(["fuzz", "--oracle", "replies", "--target", server.address, "--request", "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n",
                       "--framing", "http1", "--mask", mask, "--runs", "10", "--shrink-time", "2s", "--replays", "1",
                       "--out", scratch.path + "/found"],
                      input: "", scratch: scratch, timeout: 120)
    }

    @Test("a mask anchored at a header line's ends masks it: a Date that changes in every reply is no finding")
    func lineAnchoredMask() async throws {
        let server = try MisbehavingServer(.httpDated)
        defer { server.stop() }
        let scratch = Scratch()
        let run = try await fuzz(mask: "^Date: .*$", server, scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("no failure") && !run.output.contains("warning"), "\(run.output)")
    }

    @Test("a mask that matches nothing is said before fuzzing; the changing header is then a reply finding")
    func maskMatchingNothing() async throws {
        let server = try MisbehavingServer(.httpDated)
        defer { server.stop() }
        let scratch = Scratch()
        let run = try await fuzz(mask: "^Server: .*$", server, scratch)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("warning: --mask '^Server: .*$' matches nothing in any reference reply"), "\(run.output)")
        let warned = run.output.range(of: "warning: --mask")!.lowerBound
        let fuzzing = run.output.range(of: "runs, up to")!.lowerBound
        #expect(warned < fuzzing, "said before fuzzing: \(run.output)")
        #expect(run.output.contains("failed (reply (wrong reply))") && !run.output.contains("liveness"), "\(run.output)")
    }

    @Test("a mask that covers a whole reference reply leaves nothing to check: exit 2 before fuzzing, and a fuzz statement fails")
    func maskCoveringTheReply() async throws {
        let server = try MisbehavingServer(.httpDated)
        defer { server.stop() }
        let scratch = Scratch()
        let run = try await fuzz(mask: #"[\s\S]*"#, server, scratch)
        #expect(run.status == 2 && run.output.contains("the masks cover the whole reference reply to request 1"), "\(run.output)")
        #expect(!run.output.contains("runs, up to"), "nothing fuzzed: \(run.output)")
        let file = scratch.path + "/masked.scn"
        try #"server start epoll fault=corrupt-echo\#nfuzz runs=5 request="GET k\n" framing=line mask="[\s\S]*"\#n"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let statement = try await Piped.run(["run", file], in: scratch.path)
        #expect(statement.status == 1 && statement.output.contains("the masks cover the whole reference reply"), "\(statement.output)")
    }
}
