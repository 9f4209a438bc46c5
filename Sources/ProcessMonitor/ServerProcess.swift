// One running instance of the server under test: started by posix_spawn in a process group of
// its own (so a server that forks is ended whole), on a free loopback port, its stderr kept in a
// file for the last lines of a crash; ready once it accepts a connection. Signalled only by its
// own process group id, and only until it has been reaped (the id cannot belong to anyone else).

import CSockfuzz
import Foundation
import Glibc
import Syscalls

public final class ServerProcess: @unchecked Sendable {
    public let command: SpawnCommand
    /// The shell's process id, which is also the group's id.
    public let pid: pid_t
    /// Where it accepts connections.
    public let address: SocketAddress
    private let logPath: String
    /// Set once it has been reaped.
    public private(set) var end: ProcessEnd?

    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private init(command: SpawnCommand, pid: pid_t, address: SocketAddress, logPath: String) {
        self.command = command
        self.pid = pid
        self.address = address
        self.logPath = logPath
    }

    deinit {
        stop()
        unlink(logPath)
    }

    /// Starts `command` and waits until it accepts connections at `target` (nil: 127.0.0.1 at
    /// the free port `{port}` stands for). A start that ends early or never accepts is retried
    /// on another free port (the one picked may have been taken meanwhile), three tries in all.
    public static func start(_ command: SpawnCommand, target: SocketAddress? = nil,
                             readyWithinNanos: UInt64 = 20_000_000_000) throws(StartError) -> ServerProcess {
        var problem = "not started"
        for _ in 0..<3 {
            let port: Int?
            let address: SocketAddress
            if command.choosesPort || target == nil {
                guard let free = try? Sys.freeLoopbackPort() else { throw StartError(description: "no free loopback port") }
                port = free
                address = SocketAddress.loopback(port: free)
            } else {
                port = nil
                address = target!
            }
            let process = try spawn(command, port: port, address: address)
            let deadline = Sys.monotonicNanos() &+ readyWithinNanos
            while Sys.monotonicNanos() < deadline {
                if process.poll() != nil { break }
                if Self.accepts(address) { return process }
                usleep(10_000)
            }
            if let end = process.poll() {
                problem = "`\(command)` \(end) before accepting connections" + process.stderrSuffix
            } else {
                problem = "`\(command)` did not accept connections at \(address) within \(readyWithinNanos / 1_000_000_000) s" + process.stderrSuffix
                process.stop()
            }
            if !command.choosesPort && target != nil { break }
        }
        throw StartError(description: problem)
    }

    /// Whether it still runs; its end once it has ended (reaping it).
    @discardableResult
    public func poll() -> ProcessEnd? {
        reap(blocking: false)
        return end
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits up to `nanos` for it to end by itself; its end, or nil if it still runs.
    public func waitForEnd(nanos: UInt64) -> ProcessEnd? {
        let deadline = Sys.monotonicNanos() &+ nanos
        while poll() == nil && Sys.monotonicNanos() < deadline { usleep(5_000) }
        return end
    }

    /// SIGKILL to the whole process group, then reaped: a server under test keeps nothing a
    /// graceful stop would save, and a hung one would not honour SIGTERM anyway.
    public func stop() {
        guard poll() == nil else { return }
        kill(-pid, SIGKILL)
        reap(blocking: true)
    }

    /// The last `lines` lines it wrote to stderr.
    public func stderrTail(lines: Int = 5) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let window: UInt64 = 8192
        try? handle.seek(toOffset: size > window ? size - window : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).map(String.init)
    }

    /// " (stderr: last | lines)", or nothing when it wrote none.
    var stderrSuffix: String {
        let tail = stderrTail()
        return tail.isEmpty ? "" : " (stderr: \(tail.joined(separator: " | ")))"
    }

    private func reap(blocking: Bool) {
        guard end == nil else { return }
        var status: Int32 = 0
        let r = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        if r == pid {
            end = ProcessEnd(waitStatus: status)
            // Whatever of its group outlived it (a forked worker) ends with it.
            kill(-pid, SIGKILL)
        } else if r < 0 && errno == ECHILD {
            end = .exited(status: -1)
        }
    }

    private static func spawn(_ command: SpawnCommand, port: Int?, address: SocketAddress) throws(StartError) -> ServerProcess {
        var template = Array("/tmp/sockfuzz-spawn-XXXXXX".utf8CString)
        let logFD = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard logFD >= 0 else { throw StartError(description: "cannot make a file for the server's stderr: \(String(cString: strerror(errno)))") }
        let logPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(logFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        // None of this process's sockets: the server would hold our connections open.
        csf_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (ended whole), no blocked signals and default handlers, whatever
        // this process (or a test runner above it) set for itself.
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = command.arguments(port: port)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, arguments[0], &actions, &attributes, &argv, environ)
        guard rc == 0 else {
            unlink(logPath)
            throw StartError(description: "cannot start `\(command)`: \(String(cString: strerror(rc)))")
        }
        return ServerProcess(command: command, pid: child, address: address, logPath: logPath)
    }

    /// Whether a connection to `address` is accepted (within a second).
    public static func accepts(_ address: SocketAddress) -> Bool {
        if case .success = TCPConnect.tryOnce(address, within: 1_000_000_000) { return true }
        return false
    }
}
