// `expect SEL match` over a big inbox, through the executable: 3 MiB of random bytes echoed back
// in 400 pieces are searched as they come (each byte made text once, searches paced), the match
// ends at its byte offset although the bytes are not text, and a pattern that is not there
// fails at the peer's EOF with the same inbox. Before, each look converted the whole inbox: the
// found case took 87 s in the debug build (about 1 s now; the times print with the test).

import Foundation
import Testing

@Suite("expect match over a large inbox", .childSlot, .serialized)
struct LargeInboxMatchTests {
    /// Runs a scenario that sends 3 MiB in 400 pieces to the embedded echo server, then a marked
    /// line and a tail, half-closes, matches `pattern`, and expects the tail right after the
    /// match; returns the run and its wall time in seconds.
    static func run(matching pattern: String, scratch: Scratch) async throws -> (PipedRun, Double) {
        let file = scratch.path + "/match-\(UInt32.random(in: 0...UInt32.max)).scn"
        try """
            server start epoll
            connect c 1
            send c random 3MiB chunks=400 gap=1ms
            send c "MARK 42\\r\\ntail\\n"
            halfclose c
            expect c match "\(pattern)" within 60s
            expect c recv "tail\\n" within 10s

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let start = Date()
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 120)
        return (run, Date().timeIntervalSince(start))
    }

    @Test("a match after 3 MiB in 400 pieces ends at its byte offset; an absent pattern fails at EOF, not at the deadline")
    func matchOverLargeInbox() async throws {
        let scratch = Scratch()
        let (found, foundSeconds) = try await Self.run(matching: #"MARK \d+\r\n"#, scratch: scratch)
        #expect(found.status == 0, "took \(foundSeconds)s: \(found.output)")

        let (absent, absentSeconds) = try await Self.run(matching: "MARK 43", scratch: scratch)
        #expect(absent.status == 1, "took \(absentSeconds)s: \(absent.output)")
        #expect(absent.output.contains("c[0]: EOF with no match"), "\(absent.output)")
        print("expect match over 3 MiB in 400 pieces: found in \(String(format: "%.2f", foundSeconds)) s, "
              + "absent in \(String(format: "%.2f", absentSeconds)) s (whole runs)")
    }
}
