// A `sockfuzz` run that a test can signal mid-way: started in the background with its output
// collected from a pipe, waited on for a line, sent SIGINT or SIGTERM, then reaped.
//
// The waits are async: the blocking read runs on a thread of its own while the test is suspended,
// so a test waiting on its child does not hold one of the few threads Swift Testing runs tests
// on (two on this machine), and other tests run meanwhile (ChildSlots bounds how many).

import Foundation
import Glibc
import Testing
import TestSupport

// Unchecked: one test owns a run; its waits run one at a time, each on a thread of its own
// while the test awaits it.
final class RunningSockfuzz: @unchecked Sendable {
    let pid: pid_t
    private let readFD: Int32
    private var collected = [UInt8]()
    private var ended = false

    /// Starts `sockfuzz ARGS` with standard input from the file `stdin` and standard output and
    /// error into one pipe; in `directory` when given (for what it writes relative to it), through
    /// a shell's `cd`, since Glibc does not import posix_spawn_file_actions_addchdir_np; with both
    /// RLIMIT_NOFILE limits at `descriptorLimit` when given, through the shell's `ulimit -n`.
    init(_ arguments: [String], scratch: Scratch, stdin: String = "/dev/null", directory: String? = nil,
         descriptorLimit: Int? = nil) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Signals.resetForChild(&attributes)
        var setUp: [String] = []
        if let descriptorLimit { setUp.append("ulimit -n \(descriptorLimit)") }
        if directory != nil { setUp.append("cd \"$0\"") }
        // sh -c SCRIPT $0 ARGS...: $0 is the directory (or a placeholder), "$@" sockfuzz and its arguments.
        let shell = setUp.isEmpty ? [] : ["/bin/sh", "-c", (setUp + ["exec \"$@\""]).joined(separator: " && "), directory ?? "sh"]
        let program = setUp.isEmpty ? Binary.path : "/bin/sh"
        let argv = CStringArray(shell + [Binary.path] + arguments)
        let envp = CStringArray(scratch.environment)
        defer { argv.free(); envp.free() }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, &attributes, argv.pointers, envp.pointers)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SpawnError("posix_spawn \(Binary.path) failed: \(rc)")
        }
        pid = child
        readFD = fds[0]
    }

    deinit {
        // A test that failed half-way must not leave its child running.
        if !ended {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        close(readFD)
    }

    var output: String { String(decoding: collected, as: UTF8.self) }

    /// Reads output until it contains `text` on a line that has ended (a pipe may hand over half
    /// a line: "listening on 127.0.0.1:4511" of ":45113", a port of another test's redis-server,
    /// once answered for the proxy), or `timeout` seconds pass; returns whether it did.
    func waitForOutput(containing text: String, timeout: Double = 60) async -> Bool {
        await OffThread.run { self.waitForOutputBlocking(containing: text, timeout: timeout) }
    }

    /// `waitForOutput` on the calling thread, for a test that already runs on a thread of its own.
    func waitForOutputBlocking(containing text: String, timeout: Double) -> Bool {
        let deadline = nowNanos() + seconds(timeout)
        while !hasEndedLine(containing: text) {
            guard nowNanos() < deadline, read(untilNanos: deadline) else { return output.contains(text) }
        }
        return true
    }

    private func hasEndedLine(containing text: String) -> Bool {
        let all = output
        guard let found = all.range(of: text) else { return false }
        return all[found.upperBound...].contains("\n")
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Reads the rest of the output and reaps the child; kills it if it has not ended within
    /// `timeout` seconds. Returns the exit status (128 + N for signal N) and everything it printed.
    func finish(timeout: Double = 30) async -> PipedRun {
        await OffThread.run { self.finishBlocking(timeout: timeout) }
    }

    /// `finish` on the calling thread, for a `defer` (which cannot await).
    func finishBlocking(timeout: Double = 30) -> PipedRun {
        let deadline = nowNanos() + seconds(timeout)
        while read(untilNanos: deadline) {}
        if nowNanos() >= deadline { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        ended = true
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return PipedRun(status: code, output: output)
    }

    /// One read from the pipe; false at end of output or at the deadline.
    private func read(untilNanos deadline: UInt64) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let now = nowNanos()
            guard now < deadline else { return false }
            var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min((deadline - now) / 1_000_000, 1000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = Glibc.read(readFD, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            collected += chunk[..<n]
            return true
        }
    }
}
