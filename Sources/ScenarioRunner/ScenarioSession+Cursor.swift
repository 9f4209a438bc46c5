// Each connection has one read cursor, shared by `expect echo`, `recv` and `match`: each
// consumes what it checked, and `skip`/`drain` move the cursor past bytes no check wants.
// Bytes that arrive after a verified echo are extra: the next check on the connection fails.

import ClientEngine
import Framing
import ScenarioLanguage
import Syscalls

extension ScenarioSession {
    /// `skip SEL SIZE [within D]`: waits until `count` more bytes arrived on each connection and
    /// discards them.
    func skip(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ count: Int,
              _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try expectEach(statement, ids, within, expected: "\(count) byte(s) to skip on \(selector)") { [self] v in
            let arrived = engine.inbox(v.id).count
            if arrived >= count { return .holds }
            if v.phase != .open || v.peerEOF { return .never(Self.how(v), "\(Self.describe(v)) after \(arrived) of \(count) bytes") }
            return .notYet
        } late: {
            let short = ids.first { engine.inbox($0).count < count }!
            return "\(engine.view(short).name): only \(engine.inbox(short).count) byte(s) arrived"
        }
        for id in ids { engine.consumeInbox(id, count: count) }
        emit(.passed("skipped \(Format.bytes(count)) on \(ids.count) connection(s)"))
    }

    /// `drain SEL`: discards whatever has arrived so far (without waiting), so the next check
    /// starts at what arrives next; bytes its framing cannot cut fail it.
    func drain(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        engine.poll()
        // A framing error fails the next check on its connection: this one too.
        try rejectFramingErrors(statement, ids)
        var total = 0
        for id in ids {
            total += engine.inbox(id).count
            engine.clearInbox(id)
        }
        emit(.info("drained \(Format.bytes(total)) from \(ids.count) connection(s)"))
    }

    /// For a recv/match that waited in vain: the echo check that moved the cursor past what
    /// arrived before it, if there was one.
    func cursorHint(_ id: Int) -> String {
        guard let echo = reads.echoVerifier(of: id) else { return "" }
        return "; expect echo at line \(echo.location.line) already consumed what arrived before it (one read cursor per connection)"
    }

    // MARK: extra bytes

    /// Fails when bytes arrived on any of `ids` after an `expect echo` had verified everything
    /// sent on it (a server that answers twice, or sends unasked).
    func rejectExtraBytes(_ statement: Statement, _ ids: [Int]) throws(RunStop) {
        try rejectFramingErrors(statement, ids)
        for id in ids {
            guard let seen = extraBytes(id) else { continue }
            throw fail(statement, expected: "nothing more on \(engine.view(id).name) after its echo completed", seen: seen, how: .extraBytes)
        }
    }

    /// "web[0]: 1 unexpected byte after the echo completed: [21] "!"", or nil.
    func extraBytes(_ id: Int) -> String? {
        guard reads.echoVerifier(of: id) != nil else { return nil }
        let v = engine.view(id)
        guard let mismatch = v.echoMismatch, mismatch.expected.isEmpty else { return nil }
        let count = v.bytesReceived > v.bytesSent ? v.bytesReceived - v.bytesSent : UInt64(mismatch.seen.count)
        return "\(v.name): \(count) unexpected byte\(count == 1 ? "" : "s") after the echo completed: \(Excerpt.render(mismatch.seen))"
    }

    /// The end of the run: extra bytes that arrived on any connection after its verified echo
    /// fail the run, located at the `expect echo` that verified it.
    public func checkExtraBytesAtEnd() throws(RunStop) {
        engine.poll()
        for (id, statement) in reads.echoVerified {
            guard let seen = extraBytes(id) else { continue }
            // The echo check that held fails after all.
            checks.passed -= 1
            checks.failed += 1
            throw .failed(RunFailure(at: statement.location, statement: statement.command.rendered,
                                     expected: "nothing more on \(engine.view(id).name) after its echo completed, to the end of the run",
                                     seen: seen, seed: seed, kind: FailureKind(statement.command, how: .extraBytes)))
        }
    }
}
