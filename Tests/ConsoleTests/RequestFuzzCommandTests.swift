// `sockfuzz fuzz --request` as a user meets it, through the built executable: a planted HTTP/1.1
// framing bug is found (exit 1), the written scenario fails in each of ten fresh `sockfuzz run`
// processes (exit 1) and passes against the correct twin (exit 0); with no --target the embedded
// server answers line requests; a request that gets no clean reply is a usage error said before
// any run (exit 2).

import Foundation
import Testing
import TestSupport

@Suite("sockfuzz fuzz --request through the executable", .childSlot, .serialized)
struct RequestFuzzCommandTests {
    static func requestFile(_ proto: FramedProtocol, _ scratch: Scratch) throws -> String {
        let path = scratch.path + "/requests.txt"
        try (proto.requestLines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a split-header HTTP bug is found; its file fails in each of ten fresh replays and passes on the twin")
    func findsHTTPBugAndTwinPasses() async throws {
        let scratch = Scratch()
        let requests = try Self.requestFile(.http, scratch)
        let planted = try MisbehavingServer(.framed(.http, plantedBug: true))
        defer { planted.stop() }
        let out = scratch.path + "/found"
        let fuzz = try await Piped.run(["fuzz", "--oracle", "replies", "--target", planted.address, "--request-file", requests, "--framing", "http1",
                                  "--runs", "40", "--timeout", "1s", "--out", out], input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("reply (wrong reply)"), "\(fuzz.output)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") })
        let file = out + "/" + name
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("# sockfuzz fuzz: a minimal program"), "\(text)")
        // The bug shows only when the server reads a head in two pieces; written back to back
        // they may arrive as one read (12 to 20 of 20 fresh replays failed). The file pauses
        // between the pieces as long as FuzzConfiguration.writtenPieceGapFloorMillis says.
        #expect(text.contains("\nsleep 50ms\nsend c["), "the pieces are 50 ms apart: \(text)")

        // Each replay is a fresh process, as a user runs it: every one fails the same way.
        var failed = 0
        for replay in 1...10 {
            let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
            #expect(run.status == 1 && run.output.contains("400 Bad Request"), "replay \(replay): \(run.output)")
            if run.status == 1 { failed += 1 }
        }
        #expect(failed == 10, "\(failed) of 10 fresh replays failed:\n\(text)")

        // The finding is the server's: the same file passes against the correct twin, and a
        // fuzz session against the twin finds nothing.
        let twin = try MisbehavingServer(.framed(.http, plantedBug: false))
        defer { twin.stop() }
        let onTwin = try await Piped.run(["run", "--target", twin.address, file], input: "", scratch: scratch, timeout: 60)
        #expect(onTwin.status == 0, "the finding fails on the correct twin too: \(onTwin.output)")
        let clean = try await Piped.run(["fuzz", "--oracle", "replies", "--target", twin.address, "--request-file", requests, "--framing", "http1",
                                   "--runs", "20", "--out", scratch.path + "/none"], input: "", scratch: scratch, timeout: 120)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("20 runs") && clean.output.contains("no failure"), "\(clean.output)")
    }

    @Test("without --target the embedded server answers each line request with itself")
    func embeddedDefault() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["fuzz", "--request", "GET k\\n", "--framing", "line", "--runs", "10", "--out", scratch.path + "/o"],
                                input: "", scratch: scratch, timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("10 runs"), "\(run.output)")
    }

    @Test("a request the server answers with no whole reply is a usage error before any run")
    func noCleanReplyExits2() async throws {
        let scratch = Scratch()
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let run = try await Piped.run(["fuzz", "--oracle", "replies", "--target", silent.address, "--request", "PING\\r\\n", "--framing", "resp",
                                 "--timeout", "300ms", "--out", scratch.path + "/o"], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("clean run") && run.output.contains("no whole resp reply"), "\(run.output)")
        #expect(!run.output.contains("seed 1,"), "nothing ran: \(run.output)")
    }
}
