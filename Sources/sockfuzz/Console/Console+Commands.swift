// The console's own commands (help, status, history, save, run, quit): what a session in a
// terminal needs beyond the scenario language.

import ClientEngine
import EmbeddedServer
import Foundation
import Fuzzing
import Glibc
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

extension Console {

    func consoleCommand(_ command: HelpEntry, text: String, word: String) {
        if command.name != "quit" { consoleCommands += 1 }
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
        case "save" where arguments.count == 2:
            guard arguments[1] == "without-failed" else {
                usageError("save takes a FILE and optionally `without-failed`, e.g. `save session.scn without-failed`", column: argumentColumn)
                return
            }
            save(to: Self.unquote(arguments[0]), column: argumentColumn, withoutFailed: true)
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
            // Piped, what follows is not run: say so, since `run` would have run it.
            if reader.hasMore {
                out.line("\(fileName):\(lineNumber): \(word): the rest of the input is not run")
            }
        default:
            break
        }
    }

    func showHelp(_ query: String, column: Int) {
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

    func showStatus() {
        let engine = session.engine
        var lines: [String] = []
        if let target = settings.target {
            lines.append("target: \(target) (third-party server)")
        } else if let server = session.server, let mode = session.serverMode {
            let s = server.stats.snapshot()
            var text = "server: \(mode.rawValue) on \(session.target.map { "\($0)" } ?? "?"), \(s.active) open, "
                + "\(s.accepted) accepted, \(Format.bytes(s.bytesIn)) in, \(Format.bytes(s.bytesOut)) out"
            for (count, what) in [(s.resets, "reset"), (s.refusedOverLimit, "refused over its limit"),
                                  (s.shedOnEMFILE, "shed on EMFILE"), (s.otherErrors, "closed on other errors")] where count > 0 {
                text += ", \(count) \(what)"
            }
            lines.append(text)
        } else if let target = session.thirdParty {
            lines.append("target: \(target) (third-party server)")
        } else if let stopped = session.target {
            lines.append("server: stopped; connects to \(stopped) are refused (`server start MODE` starts one)")
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

    func groupSummary(_ group: String) -> String {
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
        if let framing = views.first?.framing {
            text += "; framing \(framing): \(stats.replies) repl\(stats.replies == 1 ? "y" : "ies")"
            if stats.framingErrors > 0 { text += ", \(stats.framingErrors) framing error\(stats.framingErrors == 1 ? "" : "s")" }
        }
        return text
    }

    func showHistory(last count: Int) {
        let entries = reader.history.suffix(count)
        guard !entries.isEmpty else {
            out.line("(no history yet)")
            return
        }
        let width = String(entries.last!.number).count
        out.lines(entries.map { "  " + String($0.number).leftPadded(to: width) + "  " + $0.line })
    }

    func save(to path: String, column: Int, withoutFailed: Bool = false) {
        let absolute = Terminal.absolute(path)
        let text = recorder.render(path: absolute, version: Sockfuzz.version, withoutFailed: withoutFailed)
        if let error = Self.write(text, to: absolute) {
            usageError("cannot write '\(absolute)': \(error)", column: column)
            return
        }
        let left = withoutFailed ? recorder.failedCount : 0
        let count = recorder.typedCount - left
        let against = settings.target.map { "target \($0)" } ?? "server \(settings.mode.rawValue)"
        out.line("saved \(count) command\(count == 1 ? "" : "s") (after seed \(settings.seed) and \(against)) to \(absolute)"
                 + (left > 0 ? "; \(left) failed check\(left == 1 ? "" : "s") left out" : ""))
        out.line("replay: sockfuzz run \(absolute)")
    }

    /// Replays a scenario file in this session, statement by statement, as if typed.
    func runFile(_ path: String, column: Int) {
        let file = Terminal.expandTilde(path)
        guard FileManager.default.isReadableFile(atPath: file) else {
            let why = FileManager.default.fileExists(atPath: file) ? "not readable" : "no such file"
            usageError("cannot read '\(path)': \(why)", column: column)
            return
        }
        let program: Program
        do {
            program = try ScenarioParser.parse(source: try ScenarioParser.readFile(file), file: file, knownGroups: parser.groups,
                                               limits: parser.limits)
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
    static func unquote(_ word: String) -> String {
        guard word.count >= 2, word.hasPrefix("\""), word.hasSuffix("\"") else { return word }
        var result = ""
        var escaped = false
        for c in word.dropFirst().dropLast() {
            if escaped { result.append(c); escaped = false } else if c == "\\" { escaped = true } else { result.append(c) }
        }
        return result
    }

    /// Writes a whole file; nil, or what went wrong.
    static func write(_ text: String, to path: String) -> String? {
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
