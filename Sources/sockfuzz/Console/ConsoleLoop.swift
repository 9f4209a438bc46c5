// The console: reads a line, hands console commands (help, status, history, save, run, quit)
// to their handlers and everything else to `ReplParser` and the live `ScenarioSession`, and
// prints each result. Errors print `line:column: message` and never end an interactive
// session; piped input stops at the first failure, with `sockfuzz run`'s exit statuses.

import ClientEngine
import EmbeddedServer
import Foundation
import Fuzzing
import Glibc
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

struct ConsoleSettings {
    var mode: BackendKind = .epoll
    /// A third-party server, as typed and as resolved.
    var target: (text: String, address: SocketAddress)?
    var seed: UInt64
    var historyPath: String?
    /// Standard input is a terminal: readline, prompt, banner. Otherwise plain piped mode.
    var interactive: Bool
}

/// Exit statuses, the same as `sockfuzz run`'s.
enum ConsoleExit {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let interrupted: Int32 = 130
}

final class Console {
    private let settings: ConsoleSettings
    private let out: ConsoleOutput
    private let reader: LineReader
    private var session: ScenarioSession!
    private var parser: ReplParser
    private var recorder = SessionRecorder()
    /// The name locations use: `<repl>` (printed as `line:column`) or `<stdin>`.
    private let fileName: String
    private var lineNumber = 0
    /// The line being handled (for carets under console-command mistakes).
    private var currentText = ""
    private var prompt = ""
    private var quitting = false
    /// Piped mode stops at the first failure, with this exit status.
    private var stopStatus: Int32?
    private var held = 0
    private var failed = 0
    private var executed = 0
    private let started = Sys.monotonicNanos()

    // How the events of the running statement are shown.
    private var muted = false
    /// Result lines still shown for this statement (a long `repeat` shows the first few).
    private var eventBudget = Int.max
    private var suppressed = 0
    private var lastMark: UInt64 = 0
    /// The running statement was skipped (a server command against --target).
    private var skipped = false
    /// Result lines the running statement printed.
    private var shown = 0

    static let mainPrompt = "sockfuzz> "
    static let blockPrompt = "     ...> "

    init(settings: ConsoleSettings) throws(SystemError) {
        self.settings = settings
        fileName = settings.interactive ? "<repl>" : "<stdin>"
        out = ConsoleOutput(decorated: settings.interactive && Terminal.isTTY(1))
        reader = settings.interactive ? ReadlineLineReader(historyPath: settings.historyPath) : PlainLineReader()
        parser = ReplParser(file: fileName)
        let configuration = RunConfiguration(target: settings.target?.address)
        session = try ScenarioSession(configuration: configuration, interrupt: consoleInterrupt,
                                      onEvent: { [unowned self] event in self.show(event) })
        session.fuzzHandler = Fuzzer.statement
    }

    /// Runs until quit, Ctrl-D or the end of the input; returns the exit status.
    func run() -> Int32 {
        guard start() else {
            _ = shutdown()
            return ConsoleExit.usage
        }
        while !quitting {
            prompt = parser.openBlocks > 0 ? Self.blockPrompt : Self.mainPrompt
            completionGroups = session.engine.groupOrder
            ConsoleSignals.reset()
            switch reader.read(prompt: prompt) {
            case .end:
                if settings.interactive { out.line() }  // Ctrl-D leaves the cursor after the prompt
                quitting = true
            case .interrupted:
                if ConsoleSignals.terminating {
                    quitting = true
                } else if !settings.interactive {
                    stopStatus = ConsoleExit.interrupted
                    quitting = true
                } else if parser.openBlocks > 0 {
                    parser.cancelBlock()
                    out.line("(the unfinished repeat block was dropped)")
                }
            case .line(let text):
                // A bracketed paste of several lines arrives as one: run them one by one.
                for piece in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                    lineNumber += 1
                    handle(String(piece))
                    if stopStatus != nil || ConsoleSignals.terminating { quitting = true }
                    if quitting { break }
                }
            }
        }
        return shutdown()
    }

    // MARK: start and end

    /// Seeds the session and starts the server (or points it at --target) by running the very
    /// statements the saved file begins with.
    private func start() -> Bool {
        var setup = ReplParser(file: "<console>")
        var lines = ["seed \(settings.seed)"]
        if let target = settings.target {
            lines.append("target \(target.text)")
        } else {
            lines.append("server start \(settings.mode.rawValue)")
        }
        muted = true
        defer { muted = false }
        for line in lines {
            do {
                guard case .complete(let statement) = try setup.parseLine(line, line: 0) else { continue }
                try session.execute(statement)
                recorder.record(statement)
            } catch let error as ScenarioError {
                Output.error("sockfuzz: cannot start: \(error.message)")
                return false
            } catch let stop as RunStop {
                if case .failed(let failure) = stop {
                    Output.error("sockfuzz: cannot start: \(failure.expected): \(failure.seen)")
                }
                return false
            } catch {
                return false
            }
        }
        if settings.interactive {
            let against: String
            if let target = settings.target {
                against = "against \(target.text) (third-party server; server commands are skipped)"
            } else {
                against = "echo server (\(settings.mode.rawValue)) listening on \(session.target!)"
            }
            out.lines(["sockfuzz \(Sockfuzz.version) console: \(against), seed \(session.seed)",
                       "`help` lists the commands. Tab completes, Up recalls, Ctrl-C interrupts, Ctrl-D or `quit` leaves."])
        }
        return true
    }

    private func shutdown() -> Int32 {
        // Interactive: 0 when the user leaves. Piped: like `sockfuzz run`.
        let status = settings.interactive ? (ConsoleSignals.terminating ? ConsoleExit.interrupted : ConsoleExit.passed)
                                          : stopStatus ?? (failed > 0 ? ConsoleExit.failed : ConsoleExit.passed)
        let open = session.engine.openConnections().count
        let mode = session.serverMode
        session.close()
        reader.close()
        if settings.interactive {
            var text = "closed \(open) connection\(open == 1 ? "" : "s")"
            if let mode { text += " and stopped the \(mode.rawValue) server" }
            out.line(text + ".")
        } else {
            let verdict = [ConsoleExit.passed: "PASSED", ConsoleExit.failed: "FAILED",
                           ConsoleExit.usage: "ERROR", ConsoleExit.interrupted: "INTERRUPTED"][status] ?? "FAILED"
            let against = settings.target.map { "target \($0.text)" } ?? (mode ?? settings.mode).rawValue
            var text = "\(verdict.padded(to: 6)) \(fileName) [\(against)] \(Format.seconds(Double(Sys.monotonicNanos() - started) / 1e9))"
            text += ", \(executed) command\(executed == 1 ? "" : "s"), \(held) expectation\(held == 1 ? "" : "s") held"
            if failed > 0 { text += ", \(failed) failed" }
            text += ", seed \(session.seed)"
            out.line(text)
        }
        out.stop()
        return status
    }

    // MARK: one line

    private func handle(_ text: String) {
        currentText = text
        let words = Completer.splitWords(text) ?? text.split(separator: " ").map(String.init)
        if let first = words.first, let command = HelpTable.consoleCommand(first) {
            consoleCommand(command, text: text, word: first)
            return
        }
        do {
            switch try parser.parseLine(text, line: lineNumber) {
            case .empty, .incomplete: break
            case .complete(let statement): _ = execute(statement)
            }
        } catch {
            syntaxError(error, text: text, firstWord: words.first)
        }
    }

    private enum Outcome: Equatable { case passed, failed, interrupted }

    /// Runs one statement with the status line and Ctrl-C armed; records it for `save`.
    private func execute(_ statement: Statement) -> Outcome {
        let label = String(statement.rendered.split(separator: "\n").first ?? "")
        switch statement.command {
        case .repeat: eventBudget = 12
        case .include: eventBudget = 40
        default: eventBudget = .max
        }
        suppressed = 0
        skipped = false
        shown = 0
        let selected = selectedCount(statement.command)
        let begun = Sys.monotonicNanos()
        lastMark = begun
        out.begin(label, stats: session.server?.stats)
        ConsoleSignals.commandStarted()
        var outcome = Outcome.passed
        var failure: RunFailure?
        do {
            try session.execute(statement)
        } catch {
            switch error {
            case .failed(let f): outcome = .failed; failure = f
            case .interrupted: outcome = .interrupted
            }
        }
        ConsoleSignals.commandEnded()
        out.end()
        eventBudget = .max
        executed += 1
        if suppressed > 0 { out.line("(\(suppressed) more result line\(suppressed == 1 ? "" : "s") not shown)") }
        switch outcome {
        case .passed:
            // Skipped against --target, it did nothing here; replayed, it would do something.
            if !(skipped && Self.isServerCommand(statement.command)) { recorder.record(statement) }
            if shown == 0, let line = confirmation(statement, selected: selected) { out.line(line) }
            if suppressed > 0 { out.line("finished in \(Format.nanos(Sys.monotonicNanos() - begun)), no failure") }
        case .failed:
            let f = failure!
            failed += 1
            showFailure(f)
            // A failed expectation stays in the saved file (it reproduces the failure); a command
            // that could not be carried out (a missing file, an unsupported command) does not.
            if f.statement.hasPrefix("expect") {
                recorder.record(statement, comment: "failed in the session (seed \(f.seed)): \(f.statement)")
            }
            if !settings.interactive { stopStatus = ConsoleExit.failed }
        case .interrupted:
            settleAfterInterrupt(since: begun)
            if case .sleep = statement.command {} else {
                recorder.record(statement, comment: "interrupted by Ctrl-C in the session; replays in full")
            }
            if !settings.interactive { stopStatus = ConsoleExit.interrupted }
        }
        syncGroups()
        return outcome
    }

    /// How many connections a closing or pausing command selects (before it runs).
    private func selectedCount(_ command: Command) -> Int? {
        let engine = session.engine
        switch command {
        case .halfclose(let selector), .close(let selector), .reset(let selector), .pause(let selector), .resume(let selector):
            switch selector {
            case .all: return engine.openConnections().count
            case .group(let name): return engine.members(of: name).count
            case .member: return 1
            case .range(_, let indices): return indices.count
            }
        default:
            return nil
        }
    }

    /// A short result for the commands the session carries out without a word.
    private func confirmation(_ statement: Statement, selected: Int?) -> String? {
        let n = selected.map { "\($0) connection\($0 == 1 ? "" : "s")" } ?? ""
        switch statement.command {
        case .seed: return "seed \(session.seed): random payloads now come from it"
        case .setTimeout(let d): return "expects without `within` now wait up to \(d)"
        case .setConnectTimeout(let d): return "connects without `timeout=` now give up after \(d)"
        case .setReceiveBuffer(let size): return "connections opened from now on get a \(size) receive buffer"
        case .sleep(let d): return "slept \(d)"
        case .halfclose: return "half-closing \(n): FIN once their queued data is out"
        case .close: return "closing \(n): FIN once their queued data is out, then close"
        case .reset: return "reset \(n) (RST)"
        case .pause: return "stopped reading on \(n)"
        case .resume: return "reading again on \(n)"
        case .include(let path, let body): return "\(path): \(body.count) command\(body.count == 1 ? "" : "s"), no failure"
        case .repeat(let count, _): return "repeat \(count): done, no failure"
        default: return nil
        }
    }

    private static func isServerCommand(_ command: Command) -> Bool {
        switch command {
        case .serverStart, .serverStop, .serverStats, .serverMode, .target, .expectServer: return true
        default: return false
        }
    }

    /// After Ctrl-C: connects still in progress are cancelled; established connections stay
    /// open with whatever they had queued. Says what is left.
    private func settleAfterInterrupt(since begun: UInt64) {
        let engine = session.engine
        var cancelled = 0
        for id in 0..<engine.connectionCount {
            let phase = engine.view(id).phase
            if phase == .pending || phase == .connecting {
                engine.close(id)
                cancelled += 1
            }
        }
        engine.poll()
        var text = "interrupted after \(Format.nanos(Sys.monotonicNanos() - begun))"
        if cancelled > 0 { text += "; cancelled \(cancelled) connect\(cancelled == 1 ? "" : "s") still in progress" }
        let open = engine.openConnections().count
        text += "; \(open) connection\(open == 1 ? "" : "s") open (`status` shows them)"
        out.line(text)
    }

    /// The parser's idea of the groups follows the engine's (an interrupted or failed command
    /// may have created fewer connections than it said).
    private func syncGroups() {
        var groups: [String: Int] = [:]
        for group in session.engine.groupOrder { groups[group] = session.engine.members(of: group).count }
        parser.groups = groups
    }

    // MARK: showing results

    private func show(_ event: RunEvent) {
        if case .skipped = event { skipped = true }
        if muted { return }
        if case .progress(let text) = event {
            out.progress(text)
            return
        }
        if case .passed = event { held += 1 }
        guard eventBudget > 0 else {
            suppressed += 1
            return
        }
        eventBudget -= 1
        shown += 1
        let now = Sys.monotonicNanos()
        let took = now - lastMark
        lastMark = now
        switch event {
        case .message(let text), .info(let text): out.line(text)
        case .passed(let text): out.line("ok: \(text) (\(Format.nanos(took)))")
        case .failed(let failure): showFailure(failure)
        case .serverStats(let stats): out.lines(Self.statsLines(stats, mode: session.serverMode))
        case .skipped(let text): out.line("skipped: \(text)")
        case .progress: break
        }
    }

    private func showFailure(_ f: RunFailure) {
        out.lines(["\(displayLocation(file: f.file, line: f.line, column: f.column)): \(f.statement) failed (seed \(f.seed))",
                   "  expected: \(f.expected)",
                   "  seen:     \(f.seen)"])
    }

    /// `line:column` for what was typed at this prompt, `file:line:column` for anything else.
    private func displayLocation(file: String, line: Int, column: Int) -> String {
        settings.interactive && file == fileName ? "\(line):\(column)" : "\(file):\(line):\(column)"
    }

    private func syntaxError(_ error: ScenarioError, text: String, firstWord: String?) {
        let location = error.location
        var lines: [String] = []
        let onThisLine = location.file == fileName && location.line == lineNumber
        if onThisLine && out.decorated {
            // A caret under the offending column of the line just typed (tabs kept, so it lines up).
            let before = text.unicodeScalars.prefix(max(location.column - 1, 0)).map { $0 == "\t" ? "\t" : " " }.joined()
            lines.append(String(repeating: " ", count: prompt.count) + before + "^")
        }
        lines.append("\(displayLocation(file: location.file, line: location.line, column: location.column)): \(error.message)")
        if onThisLine, let firstWord, !HelpTable.firstWords.contains(firstWord), firstWord != "}",
           !firstWord.hasPrefix("#"), location.column == Self.firstColumn(text) {
            if let guess = HelpTable.suggestion(for: firstWord) {
                lines.append("  did you mean `\(guess)`? (`help` lists the commands)")
            } else {
                lines.append("  (`help` lists the commands)")
            }
        }
        out.lines(lines)
        if !settings.interactive { stopStatus = ConsoleExit.usage }
    }

    /// A console command's mistake, located like a syntax error.
    private func usageError(_ message: String, column: Int) {
        syntaxError(ScenarioError(message, at: SourceLocation(file: fileName, line: lineNumber, column: column)),
                    text: currentText, firstWord: nil)
    }

    private static func firstColumn(_ text: String) -> Int {
        (text.unicodeScalars.firstIndex { $0 != " " && $0 != "\t" }.map { text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0) } ?? 0) + 1
    }

    static func statsLines(_ stats: ServerStatsSnapshot, mode: BackendKind?) -> [String] {
        let cells = stats.fields.map { "\($0.name) \($0.value)" }
        let width = cells.map(\.count).max()! + 3
        var lines = ["server counters" + (mode.map { " (\($0.rawValue))" } ?? "") + ":"]
        for row in stride(from: 0, to: cells.count, by: 3) {
            lines.append("  " + cells[row..<min(row + 3, cells.count)].map { $0.padded(to: width) }.joined()
                .trimmingCharacters(in: .whitespaces))
        }
        return lines
    }

    // MARK: console commands

    private func consoleCommand(_ command: HelpEntry, text: String, word: String) {
        let column = Self.firstColumn(text)
        let afterWord = column - 1 + word.unicodeScalars.count
        let rest = String(text.unicodeScalars.dropFirst(afterWord))
        let arguments = Completer.splitWords(rest) ?? [rest.trimmingCharacters(in: .whitespaces)]
        let argumentColumn = afterWord + 1 + (rest.unicodeScalars.prefix { $0 == " " || $0 == "\t" }.count)
        if parser.openBlocks > 0 && (command.name == "save" || command.name == "run") {
            usageError("finish the open repeat block with `}` (or drop it with Ctrl-C) before `\(command.name)`", column: column)
            return
        }
        switch command.name {
        case "help":
            showHelp(arguments.joined(separator: " "), column: argumentColumn)
        case "status":
            showStatus()
        case "history":
            guard arguments.count <= 1, let count = arguments.first.map({ Int($0) }) ?? Int?.some(Int.max), count > 0 else {
                usageError("history takes an optional count of lines, e.g. `history 20`", column: argumentColumn)
                return
            }
            showHistory(last: count)
        case "save", "run":
            guard arguments.count == 1 else {
                usageError(arguments.isEmpty ? "\(command.name) needs a FILE, e.g. `\(command.example)`"
                                             : "\(command.name) takes one FILE (quote a name with blanks)", column: argumentColumn)
                return
            }
            let path = Self.unquote(arguments[0])
            if command.name == "save" { save(to: path, column: argumentColumn) } else { runFile(path, column: argumentColumn) }
        case "quit":
            quitting = true
        default:
            break
        }
    }

    private func showHelp(_ query: String, column: Int) {
        let width = settings.interactive ? Terminal.columns(1) : 100
        if query.isEmpty {
            out.lines(HelpTable.overview(width: width))
            return
        }
        let entries = HelpTable.entries(for: query)
        guard !entries.isEmpty else {
            let guess = HelpTable.suggestion(for: String(query.split(separator: " ")[0])).map { " (did you mean `\($0)`?)" } ?? ""
            usageError("no command '\(query)'\(guess); `help` lists them all", column: column)
            return
        }
        out.lines(HelpTable.detail(entries, width: width))
    }

    private func showStatus() {
        let engine = session.engine
        var lines: [String] = []
        if let target = settings.target {
            lines.append("target: \(target.text) (third-party server)")
        } else if let server = session.server, let mode = session.serverMode {
            let s = server.stats.snapshot()
            var text = "server: \(mode.rawValue) on \(session.target.map { "\($0)" } ?? "?"), \(s.active) open, "
                + "\(s.accepted) accepted, \(Format.bytes(s.bytesIn)) in, \(Format.bytes(s.bytesOut)) out"
            for (count, what) in [(s.resets, "reset"), (s.refusedOverLimit, "refused over its limit"),
                                  (s.shedOnEMFILE, "shed on EMFILE"), (s.otherErrors, "closed on other errors")] where count > 0 {
                text += ", \(count) \(what)"
            }
            lines.append(text)
        } else if let target = session.target {
            lines.append("target: \(target)")
        } else {
            lines.append("server: none running (the next connect starts an epoll server)")
        }
        if engine.groupOrder.isEmpty {
            lines.append("groups: none yet (`connect GROUP N` opens some)")
        } else {
            lines.append("groups:")
            let width = engine.groupOrder.map(\.count).max()!
            for group in engine.groupOrder {
                lines.append("  " + group.padded(to: width) + "  " + groupSummary(group))
            }
        }
        lines.append("seed \(session.seed), timeout \(Format.nanos(session.timeoutNanos)), "
                     + "connect-timeout \(Format.nanos(session.connectTimeoutNanos)); "
                     + "\(recorder.typedCount) command\(recorder.typedCount == 1 ? "" : "s") to `save`")
        out.lines(lines)
    }

    private func groupSummary(_ group: String) -> String {
        let engine = session.engine
        let ids = engine.members(of: group)
        let views = ids.map { engine.view($0) }
        let counts = engine.phaseCounts(ids)
        let names: [(ConnectionPhase, String)] = [(.open, "open"), (.pending, "waiting to connect"), (.connecting, "connecting"),
                                                  (.refused, "refused"), (.timedOut, "timed out"), (.failed, "failed"),
                                                  (.closed, "closed"), (.reset, "reset by the peer")]
        var parts = names.compactMap { phase, name in counts[phase].map { "\($0) \(name)" } }
        let eof = views.filter { $0.phase == .open && $0.peerEOF }.count
        if eof > 0 { parts.append("\(eof) saw EOF") }
        let paused = views.filter { $0.phase == .open && $0.readingPaused }.count
        if paused > 0 { parts.append("\(paused) paused") }
        let stats = engine.groupStats(group)
        var text = "\(ids.count) connection\(ids.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
        text += "; sent \(Format.bytes(stats.bytesSent)), received \(Format.bytes(stats.bytesReceived))"
        if let p50 = stats.latencyNanos(atPercentile: 50), let p99 = stats.latencyNanos(atPercentile: 99) {
            text += ", round trip p50 \(Format.nanos(p50)) p99 \(Format.nanos(p99))"
        }
        return text
    }

    private func showHistory(last count: Int) {
        let entries = reader.history.suffix(count)
        guard !entries.isEmpty else {
            out.line("(no history yet)")
            return
        }
        let width = String(entries.last!.number).count
        out.lines(entries.map { "  " + String($0.number).leftPadded(to: width) + "  " + $0.line })
    }

    private func save(to path: String, column: Int) {
        let absolute = Terminal.absolute(path)
        let text = recorder.render(path: absolute, version: Sockfuzz.version)
        if let error = Self.write(text, to: absolute) {
            usageError("cannot write '\(absolute)': \(error)", column: column)
            return
        }
        let count = recorder.typedCount
        let against = settings.target.map { "target \($0.text)" } ?? "server \(settings.mode.rawValue)"
        out.line("saved \(count) command\(count == 1 ? "" : "s") (after seed \(settings.seed) and \(against)) to \(absolute)")
        out.line("replay: sockfuzz run \(absolute)")
    }

    /// Replays a scenario file in this session, statement by statement, as if typed.
    private func runFile(_ path: String, column: Int) {
        let file = Terminal.expandTilde(path)
        guard FileManager.default.isReadableFile(atPath: file) else {
            let why = FileManager.default.fileExists(atPath: file) ? "not readable" : "no such file"
            usageError("cannot read '\(path)': \(why)", column: column)
            return
        }
        let program: Program
        do {
            program = try ScenarioParser.parse(source: try ScenarioParser.readFile(file), file: file, knownGroups: parser.groups)
        } catch let error as ScenarioError {
            out.line(error.description)
            if !settings.interactive { stopStatus = ConsoleExit.usage }
            return
        } catch {
            usageError("cannot read '\(path)': \(error.localizedDescription)", column: column)
            return
        }
        let begun = Sys.monotonicNanos()
        for (i, statement) in program.statements.enumerated() {
            guard execute(statement) == .passed else {
                out.line("run \(path): stopped at command \(i + 1) of \(program.statements.count)")
                return
            }
        }
        let n = program.statements.count
        out.line("run \(path): \(n) command\(n == 1 ? "" : "s") in \(Format.nanos(Sys.monotonicNanos() - begun)), no failure")
    }

    /// A `"quoted name"` argument without its quotes and escapes.
    private static func unquote(_ word: String) -> String {
        guard word.count >= 2, word.hasPrefix("\""), word.hasSuffix("\"") else { return word }
        var result = ""
        var escaped = false
        for c in word.dropFirst().dropLast() {
            if escaped { result.append(c); escaped = false } else if c == "\\" { escaped = true } else { result.append(c) }
        }
        return result
    }

    /// Writes a whole file; nil, or what went wrong.
    private static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return Format.errno(errno) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return Format.errno(errno)
            }
            offset += n
        }
        return nil
    }
}
