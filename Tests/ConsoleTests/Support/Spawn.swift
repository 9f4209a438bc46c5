// Starting the built `sockfuzz` binary from tests: where it is, a scratch directory with its
// own HOME and history file, and a run with piped standard input.

import Foundation
import Glibc
import Testing

enum Binary {
    /// The `sockfuzz` built next to this test bundle, else `.build/debug/sockfuzz` of the package.
    static let path: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let exe = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let sibling = (exe as NSString).deletingLastPathComponent + "/sockfuzz"
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        return packageRoot + "/.build/debug/sockfuzz"
    }()

    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path
}

/// A fresh directory for one test: HOME, history file, saved scenarios. Removed on deinit.
final class Scratch {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("sockfuzz-console-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? NSTemporaryDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var historyFile: String { path + "/history" }

    /// The environment the console runs in: its own HOME, no inputrc, a known terminal type.
    var environment: [String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = path
        env["TERM"] = "xterm"
        env["INPUTRC"] = "/dev/null"
        env["LANG"] = "C.UTF-8"
        env["SWIFT_BACKTRACE"] = "interactive=no"  // a crash must not wait for a key on the terminal
        env["SOCKFUZZ_HISTORY"] = nil
        env["COLUMNS"] = nil
        env["LINES"] = nil
        return env.map { "\($0.key)=\($0.value)" }
    }
}

/// C strings for posix_spawn, freed after use.
struct CStringArray {
    var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func free() { for p in pointers { Glibc.free(p) } }
}

struct PipedRun {
    var status: Int32
    var output: String
}

enum Piped {
    /// Runs `sockfuzz ARGS` with `input` as standard input (a file, not a terminal), standard
    /// output and error into one pipe; waits at most `timeout` seconds. `watch` sees the output
    /// so far and the child's pid after each read (to signal it mid-run).
    static func run(_ arguments: [String], input: String, scratch: Scratch, timeout: Double = 60,
                    watch: ((String, pid_t) -> Void)? = nil) throws -> PipedRun {
        let inputFile = scratch.path + "/stdin-\(UInt32.random(in: 0...UInt32.max)).txt"
        try input.write(toFile: inputFile, atomically: true, encoding: .utf8)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError("pipe failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, 0, inputFile, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Signals.resetForChild(&attributes)
        let argv = CStringArray([Binary.path] + arguments)
        let envp = CStringArray(scratch.environment)
        defer { argv.free(); envp.free() }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Binary.path, &actions, &attributes, argv.pointers, envp.pointers)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SpawnError("posix_spawn \(Binary.path) failed: \(rc)")
        }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(deadline.timeIntervalSinceNow * 1000, 0))
            if poll(&pfd, 1, remaining) <= 0 {
                if errno == EINTR { continue }
                kill(pid, SIGKILL)
                break
            }
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            output += chunk[..<n]
            watch?(String(decoding: output, as: UTF8.self), pid)
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return PipedRun(status: code, output: String(decoding: output, as: UTF8.self))
    }
}

enum Signals {
    /// The child starts with default signal handling and nothing blocked, whatever the test
    /// runner set up for itself.
    static func resetForChild(_ attributes: inout posix_spawnattr_t, extraFlags: Int32 = 0) {
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | Int16(extraFlags))
    }
}

struct SpawnError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
