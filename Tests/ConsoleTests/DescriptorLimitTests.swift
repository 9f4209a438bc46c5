// Running out of descriptors, through the executable started under a low RLIMIT_NOFILE (set by
// `sh -c 'ulimit -n N; exec sockfuzz ...'`): a connect count that can never fit is a check error
// (exit 2) before any traffic; connects that hit EMFILE while running fail (the connect, or the echo
// check that sees the embedded server shed one), naming errno 24 and the limit (exit 1); the same file passes with room to spare.

import Foundation
import Testing
import TestSupport

@Suite("running out of descriptors, through the executable", .childSlot, .serialized)
struct DescriptorLimitTests {
    /// `sockfuzz ARGUMENTS` with both descriptor limits at `limit`: its exit status and output
    /// (killed after 60 s: a hang fails the test instead of stalling the suite).
    static func run(limit: Int, _ arguments: [String], _ scratch: Scratch) async throws -> (status: Int32, output: String) {
        let child = try RunningSockfuzz(arguments, scratch: scratch, descriptorLimit: limit)
        let run = await child.finish(timeout: 60)
        return (run.status, run.output)
    }

    static func scenario(_ text: String, _ scratch: Scratch) throws -> String {
        let path = scratch.path + "/fds.scn"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a group larger than the hard limit can ever hold is a check error at its line, before any traffic (exit 2)")
    func impossibleCountIsACheckError() async throws {
        let scratch = Scratch()
        let file = try Self.scenario("server start epoll\nconnect c 150\nexpect c open\n", scratch)
        let result = try await Self.run(limit: 200, ["run", file], scratch)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(file):2:11: 150 connections can never be open at once"), "\(result.output)")
        #expect(result.output.contains("hard RLIMIT_NOFILE 200"), "\(result.output)")
    }

    @Test("connects that run out of descriptors fail their statement naming errno 24 and the limit (exit 1)")
    func exhaustionWhileRunningFailsTheConnect() async throws {
        let scratch = Scratch()
        // Each group fits alone (at most 68 here); together they do not.
        let file = try Self.scenario("server start epoll\nconnect a 60\nconnect b 60\nsend b \"x\"\nexpect b echo within 5s\n", scratch)
        let result = try await Self.run(limit: 200, ["run", file], scratch)
        #expect(result.status == 1, "\(result.output)")
        // Which side meets the limit first is a race: the client's socket() fails the connect,
        // or the embedded server's accept() sheds the connection. A shed connection is still
        // open to the client until the server's thread gets to it, so the check that sees the
        // shed must wait for an answer (the echo), not judge `open` at once: a loaded machine
        // once ran `expect b open` before the server had shed anything, and it passed.
        // Either way the failure names the cause.
        let clientSide = result.output.contains("\(file):3:1: connect b 60 failed")
            && result.output.contains("Too many open files (errno 24); the limit is 200 open files")
        let serverSide = (result.output.contains("\(file):4:1: send b") || result.output.contains("\(file):5:1: expect b echo within 5s failed"))
            && result.output.contains("EMFILE (errno 24); the limit is 200 open files")
        #expect(clientSide || serverSide, "\(result.output)")
        // The twin: room for both groups, and the same file passes.
        let roomy = try await Self.run(limit: 1000, ["run", file], scratch)
        #expect(roomy.status == 0, "\(roomy.output)")
    }
}
