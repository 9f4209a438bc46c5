// Extra replies, as a user meets them through the executable: `expect SEL no-reply` fails on a
// reply nobody read (and on part of one), showing it, and holds when nothing more came; and the
// request fuzzer finds a server that answers one request in three twice (every reply right, one
// too many), shrinks it, and `sockfuzz run` of the written file fails the same way while the
// correct twin passes it.

import Foundation
import Testing
import TestSupport

@Suite("extra replies: expect no-reply and the request fuzzer", .childSlot, .serialized)
struct ExtraReplyTests {
    private func run(_ scenario: String, _ scratch: Scratch) async throws -> PipedRun {
        let file = scratch.path + "/no-reply-\(UInt32.random(in: 0...UInt32.max)).scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        return try await Piped.run(["run", file], input: "", scratch: scratch)
    }

    @Test("no-reply fails on a whole reply and on part of one after the replies read, and holds when nothing more came")
    func noReplyCheck() async throws {
        let scratch = Scratch()
        // The echo server answers each line with itself: two sends, two replies.
        let setup = "server start epoll\nconnect e 1 framing=line\nsend e \"a\\n\"\nsend e \"b\\n\"\nexpect e reply \"a\\n\"\n"
        let extra = try await run(setup + "expect e no-reply within 5s\n", scratch)
        #expect(extra.status == 1, "\(extra.output)")
        #expect(extra.output.contains("e[0]: an extra reply after 1 reply read: reply 2 at stream offset 2: \"b\\n\""), "\(extra.output)")

        let partial = try await run(setup + "expect e reply \"b\\n\"\nsend e \"c\"\nexpect e no-reply within 5s\n", scratch)
        #expect(partial.status == 1, "\(partial.output)")
        #expect(partial.output.contains("1 byte(s) of an incomplete line frame"), "\(partial.output)")

        let quiet = try await run(setup + "expect e reply \"b\\n\"\nexpect e no-reply\nexpect e no-reply within 100ms\n", scratch)
        #expect(quiet.status == 0, "\(quiet.output)")
    }

    @Test("a server answering one request in three twice is found as an extra reply, shrunk, and its file replays; the twin passes the file")
    func findsDuplicatedReply() async throws {
        let scratch = Scratch()
        let planted = try MisbehavingServer(.duplicatesReply(every: 3))
        defer { planted.stop() }
        let out = scratch.path + "/found"
        // One request only: the duplicate is the same bytes as the next reply, so no reply check
        // can tell; only the end of the connection's replies shows it.
        let fuzz = try await Piped.run(["fuzz", "--oracle", "replies", "--target", planted.address, "--request", "GET alpha\\r\\n", "--framing", "line",
                                  "--runs", "40", "--seed", "1", "--timeout", "1s", "--out", out], input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("protocol violation (extra reply)"), "\(fuzz.output)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") })
        let text = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
        let commands = text.firstMatch(of: /\((\d+) commands with the checks\)/).flatMap { Int($0.1) }
        print("duplicated reply: \(text.firstMatch(of: /shrunk from [^\n]*/).map { String($0.0) } ?? "not shrunk"); \(text.firstMatch(of: /reproduced \d+ of \d+/).map { String($0.0) } ?? "")")
        #expect(commands.map { $0 <= 10 } == true, "\(text)")
        #expect(text.contains(" no-reply"), "the check is the language's expect ... no-reply: \(text)")

        let replay = try await Piped.run(["run", out + "/" + name], input: "", scratch: scratch)
        #expect(replay.status == 1, "\(replay.output)")
        #expect(replay.output.contains("an extra reply") && replay.output.contains("\"OK GET alpha\\r\\n\""), "\(replay.output)")

        let twin = try MisbehavingServer(.framed(.line, plantedBug: false))
        defer { twin.stop() }
        let twinFile = scratch.path + "/twin.scn"
        try text.replacingOccurrences(of: "target \(planted.address)\n", with: "target \(twin.address)\n")
            .write(toFile: twinFile, atomically: true, encoding: .utf8)
        let clean = try await Piped.run(["run", twinFile], input: "", scratch: scratch)
        #expect(clean.status == 0, "the finding fails on the correct twin too: \(clean.output)")
    }
}
