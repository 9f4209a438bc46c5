// `sockfuzz fuzz --request` as a user meets it, through the built executable: a planted HTTP/1.1
// framing bug is found (exit 1), the written scenario replays it with `sockfuzz run` (exit 1),
// its correct twin passes (exit 0); with no --target the embedded server answers line requests;
// a request that gets no clean reply is a usage error said before any run (exit 2).

import Foundation
import Testing
import TestSupport

@Suite("sockfuzz fuzz --request through the executable", .serialized)
struct RequestFuzzCommandTests {
    static func requestFile(_ proto: FramedProtocol, _ scratch: Scratch) throws -> String {
        let path = scratch.path + "/requests.txt"
        try (proto.requestLines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a split-header HTTP bug is found and its file replays it; the twin passes")
    func findsHTTPBugAndTwinPasses() throws {
        let scratch = Scratch()
        let requests = try Self.requestFile(.http, scratch)
        let planted = try MisbehavingServer(.framed(.http, plantedBug: true))
        defer { planted.stop() }
        let out = scratch.path + "/found"
        let fuzz = try Piped.run(["fuzz", "--target", planted.address, "--request-file", requests, "--framing", "http1",
                                  "--runs", "40", "--timeout", "1s", "--out", out], input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("reply (wrong reply)"), "\(fuzz.output)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") })
        // The bug shows when the server reads a head in two pieces: two writes back to back
        // arrive as two reads most of the time, not always (measured: 12 to 20 of 20 replays
        // failed in fresh processes). So, as for the embedded server's timing faults, the file
        // must fail the same way in any of ten replays, not in the first.
        var replay: PipedRun?
        for _ in 0..<10 where replay?.status != 1 {
            replay = try Piped.run(["run", out + "/" + file], input: "", scratch: scratch, timeout: 60)
        }
        let replayed = try #require(replay)
        #expect(replayed.status == 1, "\(replayed.output)")
        #expect(replayed.output.contains("400 Bad Request"), "the failure shows the wrong reply: \(replayed.output)")

        let twin = try MisbehavingServer(.framed(.http, plantedBug: false))
        defer { twin.stop() }
        let clean = try Piped.run(["fuzz", "--target", twin.address, "--request-file", requests, "--framing", "http1",
                                   "--runs", "20", "--out", scratch.path + "/none"], input: "", scratch: scratch, timeout: 120)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("20 runs") && clean.output.contains("no failure"), "\(clean.output)")
    }

    @Test("without --target the embedded server answers each line request with itself")
    func embeddedDefault() throws {
        let scratch = Scratch()
        let run = try Piped.run(["fuzz", "--request", "GET k\\n", "--framing", "line", "--runs", "10", "--out", scratch.path + "/o"],
                                input: "", scratch: scratch, timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("10 runs"), "\(run.output)")
    }

    @Test("a request the server answers with no whole reply is a usage error before any run")
    func noCleanReplyExits2() throws {
        let scratch = Scratch()
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let run = try Piped.run(["fuzz", "--target", silent.address, "--request", "PING\\r\\n", "--framing", "resp",
                                 "--timeout", "300ms", "--out", scratch.path + "/o"], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("clean run") && run.output.contains("no whole resp reply"), "\(run.output)")
        #expect(!run.output.contains("seed 1,"), "nothing ran: \(run.output)")
    }
}
