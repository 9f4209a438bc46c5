// Where the console's lines come from: GNU readline on a terminal (editing, history, completion),
// plain standard input otherwise (no prompt, no escape sequences). Both wait on the signal
// wake-up pipe next to stdin, so Ctrl-C at the prompt is seen at once.

@preconcurrency import CReadline
import Glibc

enum ReadResult: Equatable {
    case line(String)
    /// A piped line that is not UTF-8: its bytes, for the lexer to say where (decoded, a byte
    /// that is not UTF-8 would be sent as U+FFFD, which nobody wrote).
    case bytes([UInt8])
    /// Ctrl-C at the prompt (or SIGTERM/SIGHUP: check `ConsoleSignals.terminating`).
    case interrupted
    /// Ctrl-D on an empty line, or the end of the input.
    case end
}

/// What the prompt keeps doing while it waits for a line: `descriptor` becoming readable (or
/// `everyMillis` passing) calls `work`, whose lines are printed above the line being typed.
struct PromptWork {
    var descriptor: Int32?
    var everyMillis: Int32
    var work: () -> [String]
}

protocol LineReader: AnyObject {
    /// The next line, after showing `prompt` (if the reader shows prompts); `meanwhile`, if the
    /// reader waits on a person, keeps running while it waits.
    func read(prompt: String, meanwhile: PromptWork?) -> ReadResult
    /// The remembered lines, oldest first, with their numbers (for `history`).
    var history: [(number: Int, line: String)] { get }
    /// Saves what needs saving (the history file).
    func close()
    /// Whether input follows that a `quit` would leave unrun (a person at a prompt: none).
    var hasMore: Bool { get }
}

/// Lines from a pipe or file: no prompt, no editing; the history is this run's lines.
final class PlainLineReader: LineReader {
    private var buffer: [UInt8] = []
    private var ended = false
    private var lines: [String] = []

    var history: [(number: Int, line: String)] { lines.enumerated().map { ($0.offset + 1, $0.element) } }

    /// Whether input follows (read and not yet taken, or waiting in the pipe): what a `quit`
    /// leaves unrun. Input that is still open but has nothing now counts as more.
    var hasMore: Bool {
        while true {
            if !buffer.allSatisfy({ $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 }) { return true }
            if ended { return false }
            var ready = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 0) > 0 else { return true }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = Glibc.read(0, &chunk, chunk.count)
            if n > 0 { buffer += chunk[..<n] } else if n == 0 || (errno != EINTR && errno != EAGAIN) { ended = true }
        }
    }

    /// Piped lines come at once, as `run` reads a file: nothing runs between them.
    func read(prompt: String, meanwhile: PromptWork?) -> ReadResult {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = take(newline)
                buffer.removeFirst()  // the newline
                return line
            }
            if ended {
                return buffer.isEmpty ? .end : take(buffer.count)
            }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: ConsoleSignals.wakeFD, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                ended = true
                continue
            }
            if fds[1].revents != 0 && ConsoleSignals.takeWake().interrupted { return .interrupted }
            if fds[0].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                let n = Glibc.read(0, &chunk, chunk.count)
                if n > 0 {
                    buffer += chunk[..<n]
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    ended = true
                }
            }
        }
    }

    private func take(_ count: Int) -> ReadResult {
        var bytes = buffer[..<count]
        buffer.removeFirst(count)
        if bytes.last == 13 { bytes = bytes.dropLast() }  // CRLF files
        guard let line = String(validating: bytes, as: UTF8.self) else { return .bytes(Array(bytes)) }
        lines.append(line)
        return .line(line)
    }

    func close() {}
}

// MARK: readline

/// What the line handler received; readline calls it from `rl_callback_read_char`, on the
/// console's (main) thread, so plain globals suffice.
private enum PendingLine { case none, line(String), end }
nonisolated(unsafe) private var pendingLine = PendingLine.none

/// `rl_callback_handler_install`'s line handler: keeps the line and uninstalls itself, so
/// readline shows no new prompt until the console asks for the next line.
private func readlineLineHandler(_ line: UnsafeMutablePointer<CChar>?) {
    if let line {
        pendingLine = .line(String(cString: line))
        free(line)
    } else {
        pendingLine = .end
    }
    rl_callback_handler_remove()
}

/// readline's callback interface (not the blocking `readline()`), so the console's own poll loop
/// waits for keys and for signals alike and Ctrl-C can abandon the line cleanly.
final class ReadlineLineReader: LineReader {
    var hasMore: Bool { false }
    static let historyLimit: Int32 = 1000
    private let historyPath: String?

    /// `historyPath`: where history persists (nil: only in memory).
    init(historyPath: String?) {
        self.historyPath = historyPath
        rl_readline_name = UnsafePointer(strdup("sockfuzz"))  // for `$if sockfuzz` in ~/.inputrc; kept for the process's life
        rl_catch_signals = 0  // ConsoleSignals owns SIGINT/SIGTERM/SIGHUP
        ReadlineCompletion.install()
        rl_initialize()  // rl_instream/rl_outstream, the terminal, ~/.inputrc
        using_history()
        stifle_history(Self.historyLimit)
        if let historyPath {
            // append_history needs the file to exist.
            let fd = open(historyPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            if fd >= 0 { Glibc.close(fd) }
            read_history(historyPath)
        }
    }

    var history: [(number: Int, line: String)] {
        (0..<Int(history_length)).compactMap { i in
            let number = Int(history_base) + i
            guard let entry = history_get(Int32(number)), let text = entry.pointee.line else { return nil }
            return (number, String(cString: text))
        }
    }

    func read(prompt: String, meanwhile: PromptWork?) -> ReadResult {
        pendingLine = .none
        rl_reset_screen_size()  // the window may have changed while a command ran
        prompt.withCString { rl_callback_handler_install($0, readlineLineHandler) }
        while true {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: ConsoleSignals.wakeFD, events: Int16(POLLIN), revents: 0)]
            if let watched = meanwhile?.descriptor { fds.append(pollfd(fd: watched, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), meanwhile?.everyMillis ?? -1) < 0 {
                if errno == EINTR { continue }
                rl_callback_handler_remove()
                return .end
            }
            if let meanwhile {
                // The connections keep moving while the person types: replies print as they
                // arrive, above the line being typed, and are timed when they came.
                let lines = meanwhile.work()
                if !lines.isEmpty { printAbove(lines) }
            }
            if fds[1].revents != 0 {
                let wake = ConsoleSignals.takeWake()
                if wake.interrupted {
                    abandonLine()
                    return .interrupted
                }
                if wake.continued { redraw(prompt: prompt) }
            }
            guard fds[0].revents != 0 else { continue }
            rl_callback_read_char()
            switch pendingLine {
            case .line(let line):
                remember(line)
                return .line(line)
            case .end:
                return .end
            case .none:
                if fds[0].revents & Int16(POLLIN) == 0 {  // hung up with nothing to read
                    rl_callback_handler_remove()
                    return .end
                }
            }
        }
    }

    /// Prints `lines` where the prompt was, then the prompt again with the line and cursor as
    /// they were.
    private func printAbove(_ lines: [String]) {
        rl_clear_visible_line()
        Output.write(1, lines.map { $0 + "\n" }.joined())
        rl_on_new_line()
        rl_redisplay()
    }

    /// Ctrl-C at the prompt: show `^C` after the line, forget it, leave readline's state clean.
    private func abandonLine() {
        rl_callback_sigcleanup()  // a half-typed key sequence or search
        rl_point = rl_end
        rl_redisplay()
        fflush(nil)
        // Before the handler goes: leaving readline returns the cursor to column 0.
        Output.write(1, "^C\n")
        rl_free_line_state()
        rl_replace_line("", 0)
        rl_callback_handler_remove()
    }

    /// Back from Ctrl-Z and `fg`: the shell left the terminal in its own mode. Leave readline
    /// (restoring what it saved) and come back with the same prompt, line and cursor.
    private func redraw(prompt: String) {
        let text = rl_line_buffer.map { String(cString: $0) } ?? ""
        let point = rl_point
        rl_callback_handler_remove()
        prompt.withCString { rl_callback_handler_install($0, readlineLineHandler) }
        rl_replace_line(text, 0)
        rl_point = min(point, rl_end)
        rl_redisplay()
    }

    private func remember(_ line: String) {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return }
        if history_length > 0, let last = history_get(history_base + history_length - 1),
           let text = last.pointee.line, String(cString: text) == line {
            return  // an immediate repeat is kept once, as with HISTCONTROL=ignoredups
        }
        add_history(line)
        if let historyPath { append_history(1, historyPath) }
    }

    func close() {
        if let historyPath { history_truncate_file(historyPath, Self.historyLimit) }
    }
}
