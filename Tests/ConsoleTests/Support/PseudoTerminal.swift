// The console under a pseudo-terminal, as a person sees it: `sockfuzz` runs as a session leader
// with the pty as its controlling terminal (so Ctrl-C is a real SIGINT from the line
// discipline), keystrokes go in through the master side, and the screen output comes back with
// escape sequences stripped. Every wait has a deadline; nothing relies on a fixed sleep.

import Foundation
import Glibc
import Testing

final class PseudoTerminal {
    let pid: pid_t
    private let master: Int32
    private var raw: [UInt8] = []
    /// Where the next `expect` starts searching in the cleaned transcript.
    private var mark: String.Index
    private(set) var transcript = ""
    private var exitStatus: Int32?

    /// Starts `sockfuzz ARGS` on a new 30x120 pseudo-terminal.
    init(_ arguments: [String], scratch: Scratch) throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        var size = winsize(ws_row: 30, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw SpawnError("openpty failed: errno \(errno)") }
        var name = [CChar](repeating: 0, count: 256)
        guard ttyname_r(slave, &name, name.count) == 0 else { throw SpawnError("ttyname_r failed") }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, master)
        posix_spawn_file_actions_addclose(&actions, slave)
        // Opened after setsid(): the terminal becomes the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Signals.resetForChild(&attributes, extraFlags: Self.spawnSetsid)
        let argv = CStringArray([Binary.path] + arguments)
        let envp = CStringArray(scratch.environment)
        defer { argv.free(); envp.free() }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Binary.path, &actions, &attributes, argv.pointers, envp.pointers)
        close(slave)
        guard rc == 0 else {
            close(master)
            throw SpawnError("posix_spawn \(Binary.path) failed: \(rc)")
        }
        self.pid = pid
        self.master = master
        mark = transcript.startIndex
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(master)
    }

    /// Types `keys` (control characters and escape sequences included).
    func type(_ keys: String) {
        var bytes = Array(keys.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// POSIX_SPAWN_SETSID (glibc, `<spawn.h>` under _GNU_SOURCE, so not imported into Swift).
    static let spawnSetsid: Int32 = 0x80

    static let ctrlC = "\u{03}"
    static let ctrlD = "\u{04}"
    static let up = "\u{1B}[A"
    static let tab = "\t"

    /// Waits until `text` appears in the screen output after the last match; moves past it.
    @discardableResult
    func expect(_ text: String, within seconds: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let range = transcript.range(of: text, range: mark..<transcript.endIndex) {
                mark = range.upperBound
                return true
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 || !pump(waitingMillis: Int32(min(remaining, 0.5) * 1000)) && exitStatus != nil {
                if let range = transcript.range(of: text, range: mark..<transcript.endIndex) {
                    mark = range.upperBound
                    return true
                }
                let screen = String(transcript[mark...])
                Issue.record("did not see \(text.debugDescription) within \(seconds) s; screen after the last match:\n\(screen)",
                             sourceLocation: sourceLocation)
                return false
            }
        }
    }

    /// Whether `text` appears in the output after the last match, reading what is there now.
    func contains(_ text: String) -> Bool {
        _ = pump(waitingMillis: 0)
        return transcript[mark...].contains(text)
    }

    /// Waits for the process to exit; its exit status (128+N for signal N), or nil at the deadline.
    func waitForExit(within seconds: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while exitStatus == nil && Date() < deadline {
            _ = pump(waitingMillis: 100)
            reap()
        }
        return exitStatus
    }

    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// Reads what the terminal has, waiting up to `waitingMillis`. False when nothing came.
    private func pump(waitingMillis: Int32) -> Bool {
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, waitingMillis) > 0 else {
            reap()
            return false
        }
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = read(master, &chunk, chunk.count)
        guard n > 0 else {  // EIO: the child closed the terminal
            reap()
            return false
        }
        raw += chunk[..<n]
        let offset = transcript.distance(from: transcript.startIndex, to: mark)
        transcript = Self.clean(raw)
        mark = transcript.index(transcript.startIndex, offsetBy: min(offset, transcript.count))
        return true
    }

    /// The output as text: escape sequences and carriage returns removed, BEL dropped.
    static func clean(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B, i + 1 < bytes.count {
                if bytes[i + 1] == UInt8(ascii: "[") {  // CSI: parameters, then a final byte 0x40-0x7E
                    i += 2
                    while i < bytes.count && !(0x40...0x7E).contains(bytes[i]) { i += 1 }
                    i += 1
                } else if bytes[i + 1] == UInt8(ascii: "]") {  // OSC, up to BEL or ESC \
                    i += 2
                    while i < bytes.count && bytes[i] != 0x07 && bytes[i] != 0x1B { i += 1 }
                    i += bytes.count > i && bytes[i] == 0x1B ? 2 : 1
                } else {
                    i += 2
                }
                continue
            }
            if b != 13 && b != 7 { out.append(b) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
