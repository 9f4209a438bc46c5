// Reply checks for groups with a framing: `expect SEL reply "bytes"`, `reply match "re"
// [capture=NAME]` and `replies N` wait for whole frames and consume them; `no-reply` checks that
// nothing more came. Replies share the connection's one read cursor: a reply moves it past the
// frame's bytes, and frames the byte checks (recv, match, skip, drain) moved past are no longer
// replies. Captures fill `${name}`.

import ClientEngine
import Foundation
import Framing
import ScenarioLanguage
import Syscalls

extension ScenarioSession {
    func expectReply(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ check: ReplyCheck,
                     _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try framed(statement, selector) else { return }
        let expected: String
        let judge: (Frame) -> (ok: Bool, captured: [UInt8]?)
        switch check {
        case .bytes(let template):
            let bytes = try expand(template, statement)
            expected = "the next reply on \(selector) to be \(FrameText.render(bytes))"
            judge = { ($0.bytes == bytes, nil) }
        case .match(let source, let capture):
            let pattern = try expandPattern(source, statement)
            guard let regex = try? ByteRegex(pattern) else {
                throw fail(statement, expected: "a valid regular expression", seen: "'\(pattern)'", how: .other)
            }
            expected = "the next reply on \(selector) to match /\(pattern)/"
            judge = { frame in
                guard let m = regex.firstMatch(in: frame.bytes) else { return (false, nil) }
                guard capture != nil else { return (true, nil) }
                return (true, Array(frame.bytes[m.firstGroup ?? m.range]))
            }
        }
        try awaitReplies(statement, ids, count: 1, within, expected: expected)
        var captured: [UInt8]?
        for id in ids {
            let frame = engine.nextReply(id)!
            let verdict = judge(frame)
            guard verdict.ok else {
                throw fail(statement, expected: expected,
                           seen: "\(engine.view(id).name): reply \(engine.view(id).repliesReceived - UInt64(engine.replyCount(id)) + 1) "
                               + "at stream offset \(frame.streamOffset): \(FrameText.render(frame.bytes))", how: .wrongReply)
            }
            captured = captured ?? verdict.captured
            engine.consumeReply(id)
        }
        if case .match(_, let name?) = check, let captured {
            reads.capture(name, captured)
            emit(.passed("reply matched on \(ids.count) connection(s); \(name) = \(FrameText.render(captured))"))
        } else {
            emit(.passed("reply as expected on \(ids.count) connection(s)"))
        }
    }

    func expectReplies(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ count: Int,
                       _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try framed(statement, selector) else { return }
        try awaitReplies(statement, ids, count: count, within, expected: "\(count) more whole repl\(count == 1 ? "y" : "ies") on \(selector)")
        for id in ids { for _ in 0..<count { engine.consumeReply(id) } }
        emit(.passed("\(count) repl\(count == 1 ? "y" : "ies") on each of \(ids.count) connection(s)"))
    }

    /// `expect SEL no-reply [within D]`: nothing after the read cursor, checked at once (what
    /// arrived so far is read first) or all through D, failing as soon as anything arrives.
    /// Written after the replies a scenario expects, so whatever comes is one too many.
    func expectNoReply(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try framed(statement, selector) else { return }
        // A connection that never connected has no reply to send: that it sent none says nothing.
        if let never = ids.first(where: { let v = engine.view($0); return !v.everConnected && v.phase != .pending && v.phase != .connecting }) {
            let v = engine.view(never)
            throw fail(statement, expected: "no more replies on \(selector)", seen: "\(v.name): \(Self.describe(v)), never connected", how: .notAccepted)
        }
        // A framing error already reported by an earlier check is not news.
        func arrived(_ id: Int) -> Bool {
            let v = engine.view(id)
            return engine.replyCount(id) > 0 || v.partialReplyBytes > 0 || (v.framingError != nil && !reads.framingErrorReported(id))
        }
        engine.poll()
        if let within, !ids.contains(where: arrived) {
            _ = engine.drive(until: Sys.monotonicNanos() &+ UInt64(within.nanoseconds), interrupted: { interrupt.isSet }) {
                ids.contains(where: arrived)
            }
            if interrupt.isSet { throw .interrupted }
        }
        try rejectFramingErrors(statement, ids)
        let expected = "no more replies on \(selector)" + (within.map { " for \(Format.nanos(UInt64($0.nanoseconds)))" } ?? "")
        for id in ids where arrived(id) {
            let v = engine.view(id)
            let read = v.repliesReceived - UInt64(engine.replyCount(id))
            let what = engine.nextReply(id).map { "reply \(read + 1) at stream offset \($0.streamOffset): \(FrameText.render($0.bytes))" }
                ?? "\(v.partialReplyBytes) byte(s) of an incomplete \(v.framing!) frame"
            throw fail(statement, expected: expected, seen: "\(v.name): an extra reply after \(read) repl\(read == 1 ? "y" : "ies") read: \(what)", how: .extraReply)
        }
        emit(.passed("no more replies on \(ids.count) connection(s)"))
    }

    /// The connections of `selector`, each of which must have a framing (nil: this share owns none).
    private func framed(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) -> [Int]? {
        guard let ids = try judged(statement, selector) else { return nil }
        try rejectExtraBytes(statement, ids)
        if let plain = ids.first(where: { engine.view($0).framing == nil }) {
            throw fail(statement, expected: "\(selector) to have a framing (connect ... framing=NAME, or set framing NAME before the connect)",
                       seen: "\(engine.view(plain).name) has none: its bytes are not cut into replies", how: .other)
        }
        return ids
    }

    /// Drives the loop until each of `ids` has `count` whole replies waiting; fails with what
    /// stopped it (a framing error, the connection's end, the deadline).
    private func awaitReplies(_ statement: Statement, _ ids: [Int], count: Int, _ within: ScenarioDuration?,
                              expected: String) throws(RunStop) {
        try expectEach(statement, ids, within, expected: expected) { [self] v in
            let whole = engine.replyCount(v.id)
            if whole >= count { return .holds }
            if let error = v.framingError {
                reads.reportFramingError(v.id)
                return .never(.malformedReply, Self.framingProblem(v, error))
            }
            if v.phase != .open || v.peerEOF {
                return .never(Self.how(v), "\(Self.describe(v)) with \(whole) of \(count) repl\(count == 1 ? "y" : "ies")")
            }
            return .notYet
        } late: {
            let id = ids.first { engine.replyCount($0) < count }!
            let v = engine.view(id)
            let partial = engine.inbox(id)
            return "\(v.name): \(engine.replyCount(id)) whole repl\(engine.replyCount(id) == 1 ? "y" : "ies")"
                + (v.partialReplyBytes > 0 ? ", and \(v.partialReplyBytes) byte(s) of an incomplete \(v.framing!) frame" : "")
                + (partial.isEmpty ? "" : "; bytes after the read cursor: \(FrameText.render(Array(partial.prefix(256))))")
        }
    }

    // MARK: captures and ${name}

    /// A template's bytes, each reference filled in; an unknown name fails here.
    func expand(_ template: ByteTemplate, _ statement: Statement) throws(RunStop) -> [UInt8] {
        do {
            return try template.expanded(reads.referenceValue)
        } catch {
            throw fail(statement, expected: "a value for ${\(error.name)}", seen: error.description, how: .other)
        }
    }

    /// A reply pattern with each `${name}` replaced by its value, escaped to match literally.
    func expandPattern(_ source: String, _ statement: Statement) throws(RunStop) -> String {
        var pattern = source
        for (name, range) in References.find(in: source).reversed() {
            guard let value = reads.referenceValue(name) else {
                throw fail(statement, expected: "a value for ${\(name)}", seen: UnknownReference(name: name).description, how: .other)
            }
            pattern.replaceSubrange(range, with: ByteRegex.literal(value))
        }
        return pattern
    }

    // MARK: framing errors and shown replies

    /// A framing error fails the next check on its connection (once), saying where it was.
    func rejectFramingErrors(_ statement: Statement, _ ids: [Int]) throws(RunStop) {
        for id in ids where !reads.framingErrorReported(id) {
            let v = engine.view(id)
            guard let error = v.framingError else { continue }
            reads.reportFramingError(id)
            throw fail(statement, expected: "\(v.name)'s replies to be well-formed \(v.framing!)", seen: Self.framingFailure(v, error), how: .malformedReply)
        }
    }

    /// "web[0]: http1 framing error at stream offset 120: ... (after 2 whole replies)".
    static func framingFailure(_ v: ConnectionView, _ error: FramingError) -> String {
        "\(v.name): " + framingProblem(v, error)
    }

    /// "http1 framing error at stream offset 120: ... (after 2 whole replies)".
    static func framingProblem(_ v: ConnectionView, _ error: FramingError) -> String {
        "\(v.framing!) framing error \(error) (after \(v.repliesReceived) whole repl\(v.repliesReceived == 1 ? "y" : "ies"))"
    }

    /// A reply as `set show` wants it: nil when off.
    func shownReply(_ id: Int, _ frame: Frame) -> String? {
        // Called for every reply: with `off`, build nothing (not even the connection's view).
        var name: String { engine.view(id).name }
        switch replyDisplay {
        case .off: return nil
        case .text: return "\(name) reply: " + FrameText.render(frame.bytes, limit: 4096).replacingOccurrences(of: "\n", with: "\n  ")
        case .hex: return "\(name) reply (\(frame.bytes.count) bytes):\n" + FrameText.hexDump(Array(frame.bytes.prefix(4096)))
        }
    }
}
