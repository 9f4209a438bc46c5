// What `save FILE` writes: the statements the session ran, in order, as canonical source
// (`Command.rendered`), after the `seed` and the `server start` / `target` the session began
// with, so `sockfuzz run FILE` replays the same traffic from the same random streams.
// Console commands are not recorded; a failed expectation is (with a comment), so the saved
// file reproduces it. Relative paths become absolute: the file may be saved anywhere.

import Foundation
import ScenarioLanguage

struct SessionRecorder {
    struct Entry: Equatable {
        var text: String
        /// A comment line written above the statement.
        var comment: String?
        /// A check that failed in the session (`save FILE without-failed` leaves it out).
        var failed = false
    }

    private(set) var entries: [Entry] = []

    /// Statements recorded after the opening `seed` and server lines.
    var typedCount: Int { max(entries.count - 2, 0) }

    mutating func record(_ statement: Statement, comment: String? = nil, failed: Bool = false) {
        entries.append(Entry(text: Self.portable(statement).rendered, comment: comment, failed: failed))
    }

    /// Checks that failed in the session.
    var failedCount: Int { entries.filter(\.failed).count }

    /// The scenario file's text; `withoutFailed`: the checks that failed left out (a file that
    /// replays what held, to build on), else kept with a comment (a file that reproduces them).
    func render(path: String, version: String, withoutFailed: Bool = false) -> String {
        var text = "# Saved from the sockfuzz \(version) console. Replay: sockfuzz run \(path)\n"
        for entry in entries where !(withoutFailed && entry.failed) {
            if let comment = entry.comment { text += "# \(comment)\n" }
            text += entry.text + "\n"
        }
        return text
    }

    /// `statement` with relative `include`, `send ... file` and `cert=`/`key=` paths made absolute, resolved
    /// the way the runner resolves them (against the directory of the file they were read in).
    static func portable(_ statement: Statement) -> Statement {
        var copy = statement
        let file = statement.location.file
        switch statement.command {
        case .include(let path, let body):
            copy.command = .include(path: absolute(path, from: file), body: body)
        case .send(let selector, .file(let path)):
            copy.command = .send(selector, .file(absolute(path, from: file)))
        case .send(let selector, .pieces(.file(let path), let chunks, let gaps)):
            copy.command = .send(selector, .pieces(.file(absolute(path, from: file)), chunks: chunks, gaps: gaps))
        case .serverStart(var options):
            guard let tls = options.tls else { break }
            options.tls = ServerTLS(certificatePath: tls.certificatePath.map { absolute($0, from: file) },
                                    keyPath: tls.keyPath.map { absolute($0, from: file) })
            copy.command = .serverStart(options)
        case .connect(let group, let count, let rate, let timeout, let framing, var tls?):
            if case .authorities(file: let path) = tls.verification { tls.verification = .authorities(file: absolute(path, from: file)) }
            copy.command = .connect(group: group, count: count, rate: rate, timeout: timeout, framing: framing, tls: tls)
        case .repeat(let count, let body):
            copy.command = .repeat(count: count, body: body.map(portable))
        default:
            break
        }
        return copy
    }

    private static func absolute(_ path: String, from file: String) -> String {
        // `<repl>` and `<stdin>` have no directory: their paths are relative to the current one.
        let base = file.hasPrefix("<") ? "" : file
        return Terminal.absolute(ScenarioPaths.resolve(path, relativeTo: base), expandingTilde: false)
    }
}
