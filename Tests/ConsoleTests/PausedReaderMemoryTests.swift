// Paused readers sent large random payloads (issue 20, item 6): the echo check keeps random
// bytes as the seeded stream that made them, not as a copy, so the process stays near what the
// kernel buffers hold. Measured as the run's peak RSS (its VmHWM, read while it runs): 50
// connections each sent 4 MiB while not reading, then all echoed and checked. Copying every sent
// byte, the same run peaked at 1.7 GB with 200 x 8 MiB against `sockfuzz serve` (whose queues
// take all of it); here, against an echo server that stops reading when its writes block, in a
// process of its own (Tests/Fixtures/echo), so its pace does not depend on the suites beside it.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("paused readers: memory", .childSlot)
struct PausedReaderMemoryTests {
    /// Runs `sockfuzz ARGS` and returns its exit status and peak RSS in KiB: the highest VmHWM
    /// read from /proc every 10 ms while it runs (VmHWM only grows, so the last reading holds the
    /// peak of all but the last few milliseconds). Not wait4's ru_maxrss: the kernel carries the
    /// peak of the memory a process had before exec into it, and posix_spawn's child had the test
    /// process's memory (vfork), so in a full test run ru_maxrss said 196-267 MiB for a run whose
    /// own peak was 35 MiB.
    static func peakRSS(_ arguments: [String], in directory: String) throws -> (status: Int32, kibibytes: Int) {
        let argv = CStringArray([Binary.path] + arguments)
        defer { argv.free() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var pid: pid_t = 0
        let rc = directory.withCString { _ in posix_spawn(&pid, Binary.path, &actions, nil, argv.pointers, environ) }
        guard rc == 0 else { throw SpawnError("posix_spawn failed: \(rc)") }
        var status: Int32 = 0
        var peak = 0
        while true {
            peak = max(peak, highWaterMark(of: pid) ?? 0)
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { break }
            sleepMillis(10)
        }
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exited, peak)
    }

    /// The VmHWM of process `pid` in KiB, nil once it has ended.
    static func highWaterMark(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    static let echoServer = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/echo/blocking_echo.py").standardizedFileURL.path

    @Test("50 paused readers each sent 4 MiB of random bytes, then all echoed: the process stays small", .needs(.python3))
    func pausedReadersStaySmall() async throws {
        let server = try SpawnedServer.start("/usr/bin/python3", [Self.echoServer, "--port", "{port}"])
        defer { server.stop() }
        let scratch = Scratch()
        let file = scratch.path + "/paused.scn"
        try """
            target \(server.address)
            connect a 50
            expect a open within 10s
            pause a
            send a random 4MiB
            sleep 1s
            resume a
            expect a echo within 60s

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let path = scratch.path
        let run = try await OffThread.run { Result { try Self.peakRSS(["run", file], in: path) } }.get()
        #expect(run.status == 0, "the echo check passed")
        // 200 MiB went out and came back; copying it in flight took hundreds of MiB.
        #expect(run.kibibytes > 0, "no reading of the run's memory")
        #expect(run.kibibytes < 150 * 1024, "peak RSS \(run.kibibytes / 1024) MiB")

        // The bound catches a client that holds what went through: the same run with a match
        // check after it keeps each connection's received bytes (up to 4 MiB) for the pattern.
        let holding = scratch.path + "/holding.scn"
        try (String(contentsOfFile: file, encoding: .utf8) + "expect a match \"never-there\" within 100ms\n")
            .write(toFile: holding, atomically: true, encoding: .utf8)
        let held = try await OffThread.run { Result { try Self.peakRSS(["run", holding], in: path) } }.get()
        #expect(held.status == 1, "the match check fails")
        #expect(held.kibibytes > 150 * 1024, "peak RSS \(held.kibibytes / 1024) MiB while holding 200 MiB")
    }
}
