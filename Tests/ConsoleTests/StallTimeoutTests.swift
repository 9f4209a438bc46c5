// `set stall-timeout`: a check on a stranded read fails as soon as nothing has moved for the
// stall time, not at its deadline, and says so; on a correct server the same check passes.

import Foundation
import Testing

@Suite("set stall-timeout through the executable", .childSlot, .serialized)
struct StallTimeoutTests {
    private func scenario(fault: String?) -> String {
        """
        seed 6
        set stall-timeout 400ms
        server start epoll\(fault.map { " fault=\($0)" } ?? "")
        connect c 1
        send c random 3000
        expect c echo within 30s
        """
    }

    @Test("a stranded read fails after the stall time, not the 30 s deadline, saying it stopped early")
    func strandedReadFailsEarly() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/stall.scn"
        try scenario(fault: "edge-single-read").write(toFile: file, atomically: true, encoding: .utf8)
        let started = Date()
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("stopped early: nothing moved on any connection for 400"), "\(run.output)")
        // Far below the 30 s deadline, however loaded the machine (the stall is 0.4 s).
        #expect(Date().timeIntervalSince(started) < 20, "\(run.output)")
    }

    @Test("the twin: the same check on a correct server passes")
    func correctServerPasses() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/stall.scn"
        try scenario(fault: nil).write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("a transfer still flowing is not cut short: 16 MiB through a small window with a 200 ms stall time")
    func flowingTransferPasses() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/flow.scn"
        try """
        set stall-timeout 200ms
        set rcvbuf 16KiB
        connect c 2
        send c random 16MiB chunks=4
        expect c echo within 60s
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 120)
        #expect(run.status == 0, "\(run.output)")
    }
}
