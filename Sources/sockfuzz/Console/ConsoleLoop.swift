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
    var target: Target?
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
    let settings: ConsoleSettings
    let out: ConsoleOutput
    let reader: LineReader
    var session: ScenarioSession!
    var parser: ReplParser
    var recorder = SessionRecorder()
    /// The name locations use: `<repl>` (printed as `line:column`) or `<stdin>`.
    let fileName: String
    var lineNumber = 0
    /// The line being handled (for carets under console-command mistakes).
    var currentText = ""
    var prompt = ""
    var quitting = false
    /// Piped mode stops at the first failure, with this exit status.
    var stopStatus: Int32?
    var held = 0
    var failed = 0
    var executed = 0
    /// Console commands run (help, status, save...): input of those alone claims no check.
    var consoleCommands = 0
    let started = Sys.monotonicNanos()

    // How the events of the running statement are shown.
    var muted = false
    /// Result lines still shown for this statement (a long `repeat` shows the first few).
    var eventBudget = Int.max
    var suppressed = 0
    var lastMark: UInt64 = 0
    /// The running statement was skipped (a server command against --target).
    var skipped = false
    /// Result lines the running statement printed.
    var shown = 0
    /// Waiting at the prompt: replies that arrive are collected, to print above the line typed.
    var atPrompt = false
    var linesAtPrompt: [String] = []
    /// Per connection, the unasked replies already said (each is said once).
    var unaskedSaid: [Int: UInt64] = [:]

    static let mainPrompt = "sockfuzz> "
    static let blockPrompt = "     ...> "

    init(settings: ConsoleSettings) throws(SystemError) {
        self.settings = settings
        fileName = settings.interactive ? "<repl>" : "<stdin>"
        out = ConsoleOutput(decorated: settings.interactive && Terminal.isTTY(1))
        reader = settings.interactive ? ReadlineLineReader(historyPath: settings.historyPath) : PlainLineReader()
        parser = ReplParser(file: fileName, limits: CheckLimits.forThisProcess(embeddedServer: settings.target == nil))
        let configuration = RunConfiguration(target: settings.target)
        session = try ScenarioSession(configuration: configuration, interrupt: consoleInterrupt,
                                      onEvent: { [unowned self] event in self.show(event) })
        session.fuzzHandler = Fuzzer.statement
        session.replyDisplay = .text
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
            switch reader.read(prompt: prompt, meanwhile: promptWork()) {
            case .end:
                if settings.interactive { out.line() }  // Ctrl-D leaves the cursor after the prompt
                quitting = true
                if settings.interactive && parser.openBlocks > 0 {
                    out.line("(the unfinished repeat block was dropped)")
                }
                if !settings.interactive {
                    // Piped input behaves like `sockfuzz run`: a block left open is a syntax error,
                    // and bytes after an echo that held fail it at the end.
                    do { try parser.finish() } catch {
                        out.line(error.description)
                        stopStatus = ConsoleExit.usage
                    }
                    if stopStatus == nil { checkExtraBytesAtEnd() }
                }
            case .interrupted:
                if ConsoleSignals.terminating {
                    quitting = true
                    if !settings.interactive { stopStatus = ConsoleExit.interrupted }
                } else if !settings.interactive {
                    stopStatus = ConsoleExit.interrupted
                    quitting = true
                } else if parser.openBlocks > 0 {
                    parser.cancelBlock()
                    out.line("(the unfinished repeat block was dropped)")
                }
            case .bytes(let bytes):
                // As `run` reads a file: a byte that is not UTF-8 in a command is an error where
                // it stands; in a comment it is ignored.
                lineNumber += 1
                do {
                    handle(try Lexer.decode(bytes, file: fileName))
                } catch {
                    var located = error
                    located.location.line = lineNumber
                    syntaxError(located, text: String(decoding: bytes, as: UTF8.self), firstWord: nil)
                    if !settings.interactive { stopStatus = ConsoleExit.usage }
                }
                if stopStatus != nil || ConsoleSignals.terminating { quitting = true }
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
    func start() -> Bool {
        var setup = ReplParser(file: "<console>")
        var lines = ["seed \(settings.seed)"]
        if let target = settings.target {
            lines.append("target \(target)")
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
                against = "against \(target) (third-party server; server commands are skipped)"
            } else {
                against = "echo server (\(settings.mode.rawValue)) listening on \(session.target!)"
            }
            out.lines(["sockfuzz \(Sockfuzz.version) console: \(against), seed \(session.seed)",
                       "`help` lists the commands. Tab completes, Up recalls, Ctrl-C interrupts, Ctrl-D or `quit` leaves."])
        }
        return true
    }

    func shutdown() -> Int32 {
        // Interactive: 0 when the user leaves. Piped: like `sockfuzz run`.
        // Piped input that made no check, or skipped every one, checked nothing: no pass (exit 2,
        // as `sockfuzz run` says of the same text, an empty or comment-only one too). Console
        // commands alone (`help`) are no scenario and claim nothing.
        let checkedNothing = !settings.interactive && stopStatus == nil && failed == 0 && !ConsoleSignals.terminating
            && (executed > 0 || consoleCommands == 0) && session.checks.passed == 0 && session.checks.failed == 0
        // A signal that ended piped input ends it as interrupted, whatever ran before.
        let status = ConsoleSignals.terminating ? ConsoleExit.interrupted
            : settings.interactive ? ConsoleExit.passed
            : stopStatus ?? (failed > 0 ? ConsoleExit.failed : checkedNothing ? ConsoleExit.usage : ConsoleExit.passed)
        let open = session.engine.openConnections().count
        let mode = session.serverMode
        session.close()
        reader.close()
        if settings.interactive {
            var text = "closed \(open) connection\(open == 1 ? "" : "s")"
            if let mode { text += " and stopped the \(mode.rawValue) server" }
            out.line(text + ".")
        } else {
            let verdict = checkedNothing ? "SKIPPED" : [ConsoleExit.passed: "PASSED", ConsoleExit.failed: "FAILED",
                           ConsoleExit.usage: "ERROR", ConsoleExit.interrupted: "INTERRUPTED"][status] ?? "FAILED"
            let against = settings.target.map { "target \($0)" } ?? (mode ?? settings.mode).rawValue
            var text = "\(verdict.padded(to: 6)) \(fileName) [\(against)] \(Format.seconds(Double(Sys.monotonicNanos() - started) / 1e9))"
            text += ", \(executed) command\(executed == 1 ? "" : "s"), \(held) expectation\(held == 1 ? "" : "s") held"
            if failed > 0 { text += ", \(failed) failed" }
            text += ", seed \(session.seed)"
            out.line(text)
            if checkedNothing, let why = session.checks.nothingChecked { Output.error("sockfuzz: \(why)") }
        }
        out.stop()
        return status
    }

    /// Piped input's end, as `sockfuzz run`'s: a byte after an echo that held fails that check.
    func checkExtraBytesAtEnd() {
        do { try session.checkExtraBytesAtEnd() } catch {
            if case .failed(let f) = error {
                failed += 1
                showFailure(f)
                stopStatus = ConsoleExit.failed
            }
        }
    }

    // MARK: one line

    func handle(_ text: String) {
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

    enum Outcome: Equatable { case passed, failed, interrupted }

    /// Runs one statement with the status line and Ctrl-C armed; records it for `save`.
    func execute(_ statement: Statement) -> Outcome {
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
        out.replies(replyTotals())
        ConsoleSignals.commandStarted()
        var outcome = Outcome.passed
        var failure: RunFailure?
        do {
            try session.execute(statement)
        } catch {
            switch error {
            case .failed(let f): outcome = .failed; failure = f
            case .interrupted: outcome = .interrupted
            case .skipped(let why):
                outcome = .failed
                failure = RunFailure(at: statement.location, statement: statement.command.rendered,
                                     expected: "a command this server can run", seen: why, seed: session.seed,
                                     kind: FailureKind(statement.command, how: .other))
            }
        }
        // A person at the prompt sees the replies to a send before typing on; piped input runs
        // as `sockfuzz run` does, or a wait here would move later checks' deadlines.
        if outcome == .passed, settings.interactive, case .send = statement.command { awaitReplies() }
        if Self.letsRepliesArrive(statement.command) { sayUnaskedReplies() }
        ConsoleSignals.commandEnded()
        out.end()
        eventBudget = .max
        executed += 1
        if suppressed > 0 { out.line("(\(suppressed) more result line\(suppressed == 1 ? "" : "s") not shown)") }
        switch outcome {
        case .passed:
            // Skipped against --target, it did nothing here; replayed, it would do something.
            if !(skipped && statement.command.spec.isServerCommand) { recorder.record(statement) }
            if shown == 0, let line = confirmation(statement, selected: selected) { out.line(line) }
            if suppressed > 0 { out.line("finished in \(Format.nanos(Sys.monotonicNanos() - begun)), no failure") }
        case .failed:
            let f = failure!
            failed += 1
            showFailure(f)
            // A failed expectation stays in the saved file (it reproduces the failure); a command
            // that could not be carried out (a missing file, an unsupported command) does not.
            if f.statement.hasPrefix("expect") {
                recorder.record(statement, comment: "failed in the session (seed \(f.seed)): \(f.statement)", failed: true)
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

    /// How many connections a closing or pausing command acts on (before it runs): the open
    /// ones and those still connecting, not a group's members that never opened or already
    /// ended (a connect interrupted at 1,816 of 3,000 leaves 1,816 to close).
    func selectedCount(_ command: Command) -> Int? {
        let engine = session.engine
        func live(_ ids: [Int]) -> Int {
            ids.reduce(0) { n, id in
                switch engine.view(id).phase {
                case .open, .pending, .connecting: return n + 1
                default: return n
                }
            }
        }
        switch command {
        case .halfclose(let selector), .close(let selector), .reset(let selector), .pause(let selector), .resume(let selector):
            switch selector {
            case .all: return engine.openConnections().count
            case .group(let name): return live(engine.members(of: name))
            case .member: return 1
            case .range(let name, let indices):
                let members = engine.members(of: name)
                return live(indices.filter { $0 < members.count }.map { members[$0] })
            }
        default:
            return nil
        }
    }

    /// What the prompt does while a person types (a terminal only): handles what the connections
    /// have ready, so replies print as they arrive and are timed when they came, not when the
    /// next command runs. Timers (paced sends, connects at a rate) move every 50 ms at most.
    func promptWork() -> PromptWork? {
        guard settings.interactive else { return nil }
        return PromptWork(descriptor: session.engine.readinessDescriptor, everyMillis: 50) { [unowned self] in
            atPrompt = true
            defer { atPrompt = false }
            session.engine.poll()
            let lines = linesAtPrompt
            linesAtPrompt.removeAll()
            return lines
        }
    }

    /// A short result for the commands the session carries out without a word.
    func confirmation(_ statement: Statement, selected: Int?) -> String? {
        let n = selected.map { "\($0) connection\($0 == 1 ? "" : "s")" } ?? ""
        switch statement.command {
        case .seed: return "seed \(session.seed): random payloads now come from it"
        case .setTimeout(let d): return "expects without `within` now wait up to \(d)"
        case .setConnectTimeout(let d): return "connects without `timeout=` now give up after \(d)"
        case .setStallTimeout(let d): return d.map { "checks now fail early after \($0) without any progress" } ?? "checks wait out their deadline"
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

    /// A send, a sleep or a reply check: what lets replies arrive, after which the console looks
    /// at every connection for replies nothing asked for (not after every command).
    static func letsRepliesArrive(_ command: Command) -> Bool {
        if case .replies = command.spec.reads { return true }
        switch command {
        case .send, .sleep: return true
        default: return false
        }
    }

    /// After Ctrl-C: connects still in progress are cancelled; established connections stay
    /// open with whatever they had queued. Says what is left.
    func settleAfterInterrupt(since begun: UInt64) {
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
    func syncGroups() {
        var groups: [String: Int] = [:]
        for group in session.engine.groupOrder { groups[group] = session.engine.members(of: group).count }
        parser.groups = groups
    }

    // MARK: showing results

    func show(_ event: RunEvent) {
        if case .skipped = event { skipped = true }
        if muted { return }
        if case .progress(let text) = event {
            out.progress(text)
            return
        }
        if case .reply(let text) = event {
            if atPrompt {
                if let text { linesAtPrompt.append(text) }
                return
            }
            if let text { out.line(text) }
            out.replies(replyTotals())
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
        case .progress, .reply: break
        }
    }

    func showFailure(_ f: RunFailure) {
        out.lines(["\(displayLocation(file: f.file, line: f.line, column: f.column)): \(f.statement) failed (seed \(f.seed))",
                   "  expected: \(f.expected)",
                   "  seen:     \(f.seen)"])
    }

    /// `line:column` for what was typed at this prompt, `file:line:column` for anything else.
    func displayLocation(file: String, line: Int, column: Int) -> String {
        settings.interactive && file == fileName ? "\(line):\(column)" : "\(file):\(line):\(column)"
    }

    func syntaxError(_ error: ScenarioError, text: String, firstWord: String?) {
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
    func usageError(_ message: String, column: Int) {
        syntaxError(ScenarioError(message, at: SourceLocation(file: fileName, line: lineNumber, column: column)),
                    text: currentText, firstWord: nil)
    }

    static func firstColumn(_ text: String) -> Int {
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
}
