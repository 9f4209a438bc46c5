// A process the harness started (a server under test or loadc): posix_spawn with an empty signal
// mask, stdout to a pipe we read, stderr to a log file. Only ever signalled by its own pid, and
// only until it has been reaped (so the pid cannot have been reused by someone else's process).

import CSockfuzz
import Glibc
import Syscalls

public final class ChildProcess {
    public let pid: pid_t
    public let arguments: [String]
    public let logPath: String
    private var stdoutFD: Int32
    private var output: [UInt8] = []
    public private(set) var exitStatus: Int32?
    /// CPU time (user + system) of the child once reaped, from wait4's rusage; seconds.
    public private(set) var cpuSecondsAtExit: Double?

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `arguments[0]` with `arguments`; stdout is captured, stderr goes to `logPath`.
    /// The child inherits the calling thread's CPU affinity and the process's rlimits.
    public init(_ arguments: [String], logPath: String) throws(SpawnError) {
        self.arguments = arguments
        self.logPath = logPath
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { throw SpawnError(description: "pipe: \(Self.errnoText())") }
        // Close-on-exec at once: no other child started meanwhile may inherit either end.
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else {
            close(pipeFDs[0]); close(pipeFDs[1])
            throw SpawnError(description: "cannot open \(logPath): \(Self.errnoText())")
        }
        defer { close(logFD); close(pipeFDs[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Nothing else this process inherited: a socket that came down from whatever started
        // the bench would count as one of the server's connections (ProcessProbe.socketCount),
        // and every wait for "no client connections" would run out its timeout.
        csf_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The harness blocks SIGINT/SIGTERM in its threads (sigwait); the child must not inherit that.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, &attributes, &argv, environ)
        guard rc == 0 else {
            close(pipeFDs[0])
            throw SpawnError(description: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = pipeFDs[0]
        _ = fcntl(stdoutFD, F_SETFL, O_NONBLOCK)
    }

    deinit {
        stop()
        if stdoutFD >= 0 { close(stdoutFD) }
    }

    public var isRunning: Bool {
        reap(blocking: false)
        return exitStatus == nil
    }

    /// What the child wrote to stdout so far.
    public var standardOutput: String {
        drainOutput()
        return String(decoding: output, as: UTF8.self)
    }

    /// The last lines of the child's stderr log, for error messages.
    public func logTail(_ lines: Int = 5) -> String {
        guard let file = fopen(logPath, "r") else { return "" }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            text.append(contentsOf: buffer[..<n])
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: " | ")
    }

    /// Waits until a stdout line contains `marker` (returns that line), the child exits, or the
    /// time runs out (nil).
    public func waitForLine(containing marker: String, timeoutNanos: UInt64) -> String? {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        while true {
            drainOutput()
            let text = String(decoding: output, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if !isRunning || Sys.monotonicNanos() >= deadline { return nil }
            var p = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 20)
        }
    }

    /// Waits for the child to exit by itself; false if it is still running at the deadline.
    public func waitForExit(timeoutNanos: UInt64) -> Bool {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        while exitStatus == nil {
            drainOutput()
            reap(blocking: false)
            if exitStatus != nil { break }
            if Sys.monotonicNanos() >= deadline { return false }
            var p = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 20)
        }
        drainOutput()
        return true
    }

    /// Whether stop() had to use SIGKILL (the process ignored SIGTERM for the grace period).
    public private(set) var neededKill = false

    /// SIGTERM, then up to `graceNanos` for it to exit, then SIGKILL; always reaps.
    public func stop(graceNanos: UInt64 = 1_500_000_000) {
        reap(blocking: false)
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        if waitForExit(timeoutNanos: graceNanos) { return }
        neededKill = true
        kill(pid, SIGKILL)
        reap(blocking: true)
        drainOutput()
    }

    private func reap(blocking: Bool) {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        var usage = rusage()
        let r = wait4(pid, &status, blocking ? 0 : WNOHANG, &usage)
        if r == pid {
            exitStatus = status
            cpuSecondsAtExit = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        } else if r < 0 && errno == ECHILD {
            exitStatus = -1
        }
    }

    private func drainOutput() {
        guard stdoutFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(stdoutFD, &buffer, buffer.count)
            if n > 0 { output.append(contentsOf: buffer[..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
