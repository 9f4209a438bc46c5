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
    /// output and error into one pipe; waits at most `timeout` seconds. In `directory` when
    /// given, for what writes relative to it (a `fuzz` statement's `./fuzz-failures`).
    static func run(_ arguments: [String], input: String, scratch: Scratch, in directory: String? = nil,
                    timeout: Double = 60) async throws -> PipedRun {
        let inputFile = scratch.path + "/stdin-\(UInt32.random(in: 0...UInt32.max)).txt"
        try input.write(toFile: inputFile, atomically: true, encoding: .utf8)
        return try await RunningSockfuzz(arguments, scratch: scratch, stdin: inputFile, directory: directory).finish(timeout: timeout)
    }

    /// `run` in `directory` with empty standard input, HOME a fresh scratch folder.
    static func run(_ arguments: [String], in directory: String, timeout: Double = 60) async throws -> PipedRun {
        try await run(arguments, input: "", scratch: Scratch(), in: directory, timeout: timeout)
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
