// The console's output: result lines, and on a terminal a live status line under them while a
// long command runs (elapsed time, the command's own progress, the embedded server's connections
// and throughput), redrawn four times a second and erased before any other line is printed.
// Without a terminal it prints plain lines only: no `\r`, no escape sequences.

import EmbeddedServer
import Foundation
import Glibc
import Reactor
import Synchronization
import Syscalls

final class ConsoleOutput: Sendable {
    /// Status line and terminal escapes allowed (stdout is a terminal).
    let decorated: Bool

    private struct State: Sendable {
        var running = false
        var label = ""
        var progress: String?
        var started: UInt64 = 0
        var shown = false
        var stats: ServerStats?
        var lastBytes: UInt64 = 0
        var lastSample: UInt64 = 0
        var bytesPerSecond: Double?
        /// Replies and framing errors of the session's framed groups (0, 0: none framed).
        var replies = (count: 0, framingErrors: 0)
    }

    private let state = Mutex(State())
    private let ticker = LoopThread()
    private let stopping = Atomic<Bool>(false)
    /// Commands quicker than this never show a status line.
    static let delayNanos: UInt64 = 400_000_000
    static let refreshNanos: UInt64 = 250_000_000

    init(decorated: Bool) {
        self.decorated = decorated
        guard decorated else { return }
        ticker.start { [self] in
            var next = Sys.monotonicNanos()
            while !stopping.load(ordering: .relaxed) {
                usleep(50_000)
                let now = Sys.monotonicNanos()
                guard now >= next else { continue }
                next = now &+ Self.refreshNanos
                state.withLock { s in if s.running { draw(&s, now: now) } }
            }
        }
    }

    /// Stops the refresh thread (before the process exits).
    func stop() {
        guard decorated, !stopping.exchange(true, ordering: .relaxed) else { return }
        ticker.join()
    }

    // MARK: lines

    func line(_ text: String = "") { lines([text]) }

    func lines(_ texts: [String]) {
        state.withLock { s in
            clear(&s)
            emit(texts.map { $0 + "\n" }.joined())
        }
    }

    // MARK: the status line

    /// A command starts: `label` shows until it reports progress; `stats` are the server's counters.
    func begin(_ label: String, stats: ServerStats?) {
        guard decorated else { return }
        state.withLock { s in
            s.running = true
            s.label = label
            s.progress = nil
            s.started = Sys.monotonicNanos()
            s.stats = stats
            s.lastBytes = stats?.snapshot().bytesIn ?? 0
            s.lastSample = s.started
            s.bytesPerSecond = nil
        }
    }

    func progress(_ text: String) {
        guard decorated else { return }
        state.withLock { s in
            s.progress = text
            if s.running { draw(&s, now: Sys.monotonicNanos()) }
        }
    }

    /// The session's reply and framing-error totals, for the status line. Asked for after
    /// every reply: counted only when a status line shows them.
    func replies(_ totals: @autoclosure () -> (Int, Int)) {
        guard decorated else { return }
        let (count, framingErrors) = totals()
        state.withLock { $0.replies = (count, framingErrors) }
    }

    func end() {
        guard decorated else { return }
        state.withLock { s in
            clear(&s)
            s.running = false
            s.stats = nil
        }
    }

    private func draw(_ s: inout State, now: UInt64) {
        let elapsed = now &- s.started
        guard elapsed >= Self.delayNanos else { return }
        var text = "[\(Self.seconds(elapsed))] " + (s.progress ?? s.label)
        if let stats = s.stats {
            let snapshot = stats.snapshot()
            if now &- s.lastSample >= Self.refreshNanos {
                s.bytesPerSecond = Double(snapshot.bytesIn &- s.lastBytes) / (Double(now &- s.lastSample) / 1e9)
                s.lastBytes = snapshot.bytesIn
                s.lastSample = now
            }
            text += " | server: \(snapshot.active) open"
            if let rate = s.bytesPerSecond { text += ", \(Self.throughput(rate)) in" }
            let errors = snapshot.resets + snapshot.otherErrors + snapshot.refusedOverLimit
            if errors > 0 { text += ", \(errors) errors" }
        }
        if s.replies.count > 0 || s.replies.framingErrors > 0 {
            text += " | \(s.replies.count) repl\(s.replies.count == 1 ? "y" : "ies")"
            if s.replies.framingErrors > 0 { text += ", \(s.replies.framingErrors) framing error\(s.replies.framingErrors == 1 ? "" : "s")" }
        }
        text += " | Ctrl-C interrupts"
        let width = Terminal.columns(1) - 1
        if text.count > width { text = String(text.prefix(max(width - 1, 0))) + "…" }
        emit("\r" + text + "\u{1B}[K")
        s.shown = true
    }

    private func clear(_ s: inout State) {
        guard s.shown else { return }
        emit("\r\u{1B}[K")
        s.shown = false
    }

    private func emit(_ text: String) {
        fflush(nil)  // anything readline left in stdio's buffer goes first
        Output.write(1, text)
    }

    static func seconds(_ nanos: UInt64) -> String {
        let s = Double(nanos) / 1e9
        return s < 10 ? String(format: "%.1fs", s) : "\(Int(s))s"
    }

    static func throughput(_ bytesPerSecond: Double) -> String {
        if bytesPerSecond < 1024 { return "\(Int(bytesPerSecond)) B/s" }
        if bytesPerSecond < 1024 * 1024 { return String(format: "%.1f KiB/s", bytesPerSecond / 1024) }
        return String(format: "%.1f MiB/s", bytesPerSecond / 1024 / 1024)
    }
}
