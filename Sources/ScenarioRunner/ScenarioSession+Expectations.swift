// The expectations: each is a judgement of one connection (holds, not yet, or never, and why),
// and one driver, `judgeEach`, runs the loop until it holds on every connection, can never hold
// on one (a differing byte, a reset where EOF was expected), or the deadline passes; `expectEach`
// turns that into the check's failure. A failure says what was expected and what was seen,
// naming the connection and the byte.

import ClientEngine
import Foundation
import Framing
import ScenarioLanguage
import Syscalls

extension ScenarioSession {
    // MARK: echo

    func expectEcho(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try rejectExtraBytes(statement, ids)
        try expectEach(statement, ids, within, expected: "every byte sent on \(selector) echoed back, in order, nothing extra",
                       Self.echoJudgement, late: {
            let pending = ids.map { engine.view($0) }.filter { $0.bytesInFlight > 0 || $0.hasPendingOutput }
            let first = pending.first.map { "\($0.name): \($0.bytesReceived) of \($0.bytesSent) bytes back, \($0.bytesInFlight) in flight\($0.hasPendingOutput ? ", more not yet sent" : "")" } ?? "?"
            return "\(pending.count) connection(s) incomplete at the deadline; \(first)"
        })
        let bytes = ids.reduce(UInt64(0)) { $0 + engine.view($1).bytesSent }
        // The read cursor moves past everything echoed; bytes arriving from now on are extra.
        for id in ids {
            engine.clearInbox(id)
            reads.echoVerified(id, by: statement)
        }
        emit(.passed("echo on \(ids.count) connection(s), \(Format.bytes(bytes)) intact"))
    }

    /// Whether every byte `v` sent came back: holds once none is in flight; never once a byte
    /// differs, one more came, or the connection ended with bytes missing.
    static func echoJudgement(_ v: ConnectionView) -> Judgement {
        if let mismatch = v.echoMismatch { return .never(mismatch.expected.isEmpty ? .extraBytes : .wrongByte, "\(mismatch)") }
        // Bytes asked to be sent that never went out can never be echoed.
        if v.bytesNeverSent > 0 { return .never(how(v), "\(describe(v)) with \(v.bytesNeverSent) queued byte(s) never sent") }
        let missing = v.bytesInFlight > 0 || v.hasPendingOutput
        switch v.phase {
        case .pending, .connecting:
            return .notYet
        case .refused, .timedOut, .failed:
            return .never(.notAccepted, "never connected (\(v.phase.rawValue), \(reason(v)))")
        case .reset where missing:
            return .never(.reset, "reset by the peer with \(v.bytesInFlight) byte(s) not echoed")
        case .closed where missing:
            return .never(how(v), "closed with \(v.bytesInFlight) byte(s) not echoed")
        case .reset, .closed:
            return .holds
        case .open where missing && v.peerEOF:
            return .never(how(v), "the peer closed (EOF) after \(v.bytesReceived) of \(v.bytesSent) bytes, \(v.bytesInFlight) never echoed")
        case .open:
            return missing ? .notYet : .holds
        }
    }

    func withinNanos(_ within: ScenarioDuration?) -> UInt64 {
        within.map { UInt64($0.nanoseconds) } ?? timeoutNanos
    }

    // MARK: exact bytes and patterns

    func expectRecv(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ bytes: [UInt8], _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try rejectExtraBytes(statement, ids)
        try expectEach(statement, ids, within, expected: "\(selector) to receive \(Excerpt.render(bytes))") { [self] v in
            let inbox = engine.inbox(v.id)
            let n = min(inbox.count, bytes.count)
            if let i = (0..<n).first(where: { inbox[inbox.startIndex + $0] != bytes[$0] }) {
                return .never(.wrongByte, "first differing byte at offset \(i): expected \(Excerpt.render(Array(bytes[i...]))), seen \(Excerpt.render(Array(inbox[(inbox.startIndex + i)...])))")
            }
            guard inbox.count < bytes.count else { return .holds }
            if v.phase != .open || v.peerEOF {
                return .never(Self.how(v), "\(v.peerEOF ? "EOF" : v.phase.rawValue) after \(inbox.count) of \(bytes.count) bytes: \(Excerpt.render(Array(inbox)))")
            }
            return .notYet
        } late: {
            let short = ids.first { engine.inbox($0).count < bytes.count }!
            return "\(engine.view(short).name): only \(engine.inbox(short).count) byte(s): \(Excerpt.render(Array(engine.inbox(short))))"
                + cursorHint(short)
        }
        for id in ids { engine.consumeInbox(id, count: bytes.count) }
        emit(.passed("received \(bytes.count) expected byte(s) on \(ids.count) connection(s)"))
    }

    func expectMatch(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ pattern: String, _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try rejectExtraBytes(statement, ids)
        guard let regex = try? ByteRegex(pattern) else {
            throw fail(statement, expected: "a valid regular expression", seen: "'\(pattern)'", how: .other)
        }
        var matchedThrough: [Int: Int] = [:]
        var searches: [Int: InboxSearch] = [:]
        /// Searches connection `id`'s inbox (paced while more may come); true when it matched.
        func search(_ id: Int, paced: Bool) -> Bool {
            guard let m = searches[id, default: InboxSearch()].match(regex, in: engine.inbox(id), paced: paced) else { return false }
            matchedThrough[id] = m.range.upperBound
            return true
        }
        var (held, verdict) = judgeEach(ids, { [self] v in
            if matchedThrough[v.id] != nil { return .holds }
            let ended = v.phase != .open || v.peerEOF
            if search(v.id, paced: !ended) { return .holds }
            if ended { return .never(Self.how(v), "\(v.peerEOF ? "EOF" : v.phase.rawValue) with no match in \(Excerpt.render(Array(engine.inbox(v.id)), limit: 32))") }
            return .notYet
        }) { awaitCheck(within, $0) }
        if !held && verdict == nil {
            // The last look may have been paced: what arrived before the end is searched whole.
            for id in ids where matchedThrough[id] == nil { _ = search(id, paced: false) }
            held = matchedThrough.count == ids.count
        }
        if interrupt.isSet { throw .interrupted }
        let expected = "\(selector) to receive bytes matching /\(pattern)/"
        if let verdict { throw fail(statement, expected: expected, seen: verdict.seen, how: verdict.how) }
        guard held else {
            let id = ids.first { matchedThrough[$0] == nil }!
            throw fail(statement, expected: expected + " within \(Format.nanos(withinNanos(within)))",
                       seen: "\(engine.view(id).name): no match in \(Excerpt.render(Array(engine.inbox(id)), limit: 32))" + cursorHint(id), how: .timedOut)
        }
        for (id, end) in matchedThrough { engine.consumeInbox(id, count: end) }
        emit(.passed("/\(pattern)/ matched on \(ids.count) connection(s)"))
    }

    // MARK: connection states

    func expectState(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ state: ConnectionState, _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try rejectExtraBytes(statement, ids)
        // `open` is a claim about now: settle what is already pending, then judge at once
        // unless a deadline was given (connections still connecting may then finish).
        if state == .open && within == nil { engine.poll() }
        let until = state == .open && within == nil ? Sys.monotonicNanos() : deadline(within)
        let (held, verdict) = judgeEach(ids, { Self.judge($0, state) }) { engine.drive(until: until, interrupted: { interrupt.isSet }, $0) }
        if interrupt.isSet { throw .interrupted }
        let expected = "\(selector) \(Self.phrase(state))"
        if let verdict { throw fail(statement, expected: expected, seen: verdict.seen, how: verdict.how) }
        guard held else {
            let views = ids.map { engine.view($0) }
            let off = views.filter { if case .holds = Self.judge($0, state) { return false } else { return true } }
            let sample = off.prefix(3).map { "\($0.name) \(Self.describe($0))" }.joined(separator: ", ")
            throw fail(statement, expected: expected + (state == .open && within == nil ? "" : " within \(Format.nanos(withinNanos(within)))"),
                       seen: "\(off.count) of \(ids.count) not: \(sample)", how: .timedOut)
        }
        emit(.passed("\(ids.count) connection(s) \(Self.phrase(state))"))
    }

    enum Judgement { case holds, notYet, never(FailureKind.How, String) }

    /// A check's finding that it can no longer hold: how, and what was seen.
    struct Verdict {
        var how: FailureKind.How
        var seen: String

        init(_ how: FailureKind.How, _ seen: String) {
            self.how = how
            self.seen = seen
        }
    }

    /// How a connection that ended (or never began) fails a check that needed it.
    static func how(_ v: ConnectionView) -> FailureKind.How {
        if v.tls?.truncated == true { return .truncated }
        switch v.phase {
        case .reset: return .reset
        case .refused, .timedOut, .failed: return .notAccepted
        case .closed: return v.peerEOF ? .earlyEOF : .closed
        case .open: return v.peerEOF ? .earlyEOF : .other
        case .pending, .connecting: return .timedOut
        }
    }

    /// A waiting check on `ids`: drives the loop (`awaitCheck`) until `judge` holds on every one.
    /// An interrupt stops it; a connection on which it can never hold fails it with the verdict;
    /// the deadline fails it as timed out, with what `late` says was seen then.
    func expectEach(_ statement: Statement, _ ids: [Int], _ within: ScenarioDuration?, expected: String,
                    _ judge: @escaping (ConnectionView) -> Judgement, late: () -> String) throws(RunStop) {
        let (held, verdict) = judgeEach(ids, judge) { awaitCheck(within, $0) }
        if interrupt.isSet { throw .interrupted }
        if let verdict { throw fail(statement, expected: expected, seen: verdict.seen, how: verdict.how) }
        guard held else {
            throw fail(statement, expected: expected + " within \(Format.nanos(withinNanos(within)))", seen: late(), how: .timedOut)
        }
    }

    /// Drives (with `drive`) until `judge` holds on every connection of `ids`, or can never hold
    /// on one: then the verdict names it and says why.
    func judgeEach(_ ids: [Int], _ judge: @escaping (ConnectionView) -> Judgement,
                   drive: (() -> Bool) -> Bool) -> (held: Bool, verdict: Verdict?) {
        var verdict: Verdict?
        let held = drive {
            var all = true
            for id in ids {
                let v = engine.view(id)
                switch judge(v) {
                case .holds: continue
                case .notYet: all = false
                case .never(let how, let why): verdict = Verdict(how, "\(v.name): \(why)"); return true
                }
            }
            return all
        }
        return (held, verdict)
    }

    static func judge(_ v: ConnectionView, _ state: ConnectionState) -> Judgement {
        let connecting = v.phase == .pending || v.phase == .connecting
        switch state {
        case .eof:
            // Over TLS, an end without close_notify cannot be told from a cut: not an EOF.
            if v.tls?.truncated == true { return .never(.truncated, "closed without close_notify (truncation) instead of EOF") }
            if v.peerEOF { return .holds }
            if v.phase == .open || connecting { return .notYet }
            return .never(how(v), "\(describe(v)) instead of EOF")
        case .truncated:
            guard v.everConnected || connecting else { return .never(.notAccepted, "\(describe(v)), never connected") }
            if v.tls == nil && !connecting { return .never(.other, "not a TLS connection: only TLS can tell a truncation from an EOF") }
            if v.tls?.truncated == true { return .holds }
            if v.tls?.peerCloseNotify == true { return .never(.closed, "the peer sent close_notify: an orderly end, not a truncation") }
            if v.phase == .open || connecting { return .notYet }
            return .never(how(v), "\(describe(v)) instead of a truncation")
        case .reset:
            if v.phase == .reset { return .holds }
            if v.phase == .open || connecting { return .notYet }
            return .never(how(v), "\(describe(v)) instead of a reset")
        case .open:
            if v.phase == .open && !v.peerEOF { return .holds }
            if connecting { return .notYet }
            return .never(how(v), describe(v))
        case .refused:
            if v.phase == .refused { return .holds }
            if connecting { return .notYet }
            return .never(how(v), "\(describe(v)) instead of refused")
        case .closed:
            if !(v.phase == .open || connecting) { return .holds }
            return .notYet
        }
    }

    static func phrase(_ state: ConnectionState) -> String {
        switch state {
        case .eof: return "to see EOF from the peer"
        case .reset: return "to be reset by the peer"
        case .open: return "to be open"
        case .refused: return "to be refused"
        case .closed: return "to be closed"
        case .truncated: return "to be closed by the peer without close_notify (truncation)"
        }
    }

    static func describe(_ v: ConnectionView) -> String {
        switch v.phase {
        case .open: return v.peerEOF ? "half-closed by the peer (\(eofKind(v)))" : "open"
        case .refused: return "refused"
        case .timedOut: return "connect timed out"
        case .failed: return "failed (\(reason(v)))"
        case .closed: return v.peerEOF ? "closed after the peer's \(eofKind(v))" : "closed by us"
        case .reset: return "reset by the peer"
        case .pending, .connecting: return "still connecting"
        }
    }

    func expectConnected(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ comparison: Comparison, _ value: Int, _ within: ScenarioDuration?) throws(RunStop) {
        let ids = try resolve(statement, selector)
        try rejectExtraBytes(statement, ids)
        let own = selector == .all ? ownedConnectionCount : ids.count
        let scale = try shareScale(statement, comparison, value, own: own, whole: shares.wholeSize(of: selector))
        if case .notThisShare = scale { return }
        var count = 0
        let held = awaitCheck(within) {
            count = ids.reduce(0) { $0 + (engine.view($1).phase == .open && !engine.view($1).peerEOF ? 1 : 0) }
            return scale.holds(comparison, count, value)
        }
        if interrupt.isSet { throw .interrupted }
        guard held else {
            throw fail(statement, expected: "connected \(comparison.rawValue) \(value) on \(selector) within \(Format.nanos(withinNanos(within)))"
                           + scale.phrase(segment, value),
                       seen: "\(count) connected", how: .wrongValue)
        }
        emit(.passed("\(count) connected on \(selector)" + scale.phrase(segment, value)))
    }

    // MARK: server and latency

    func expectServer(_ statement: Statement, _ stat: ServerStat, _ comparison: Comparison, _ value: Int, _ within: ScenarioDuration?) throws(RunStop) {
        if let external = configuration.target {
            emitSkipped("\(statement.location): \(statement.command.rendered): skipped against third-party target \(external)")
            return
        }
        guard let server else {
            throw fail(statement, expected: "a running embedded server", seen: "none is running", how: .other)
        }
        // A share has its own embedded server, which sees its part of the connections.
        let scale = try serverShareScale(statement, stat, comparison, value)
        if case .notThisShare = scale { return }
        var seen: UInt64 = 0
        let held = awaitCheck(within) {
            seen = server.stats.snapshot().value(of: stat) ?? UInt64(max(0, server.heldDescriptors()))
            return scale.holds(comparison, Int(clamping: seen), value)
        }
        if interrupt.isSet { throw .interrupted }
        guard held else {
            throw fail(statement, expected: "server \(stat.rawValue) \(comparison.rawValue) \(value) within \(Format.nanos(withinNanos(within)))"
                           + scale.phrase(segment, value),
                       seen: "\(stat.rawValue) = \(seen)", how: .wrongValue)
        }
        emit(.passed("server \(stat.rawValue) = \(seen)" + scale.phrase(segment, value)))
    }

    func expectLatency(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ percentile: Percentile, _ bound: LatencyBound, _ limit: ScenarioDuration) throws(RunStop) {
        let groups: [String]
        if let name = selector.groupName {
            guard engine.groupExists(name) else { throw fail(statement, expected: "group '\(name)' to exist", seen: "no connect has created it", how: .other) }
            groups = [name]
        } else {
            groups = engine.groupOrder
        }
        if !segment.isWhole && groups.allSatisfy({ engine.members(of: $0).isEmpty }) {
            emitSkipped("\(statement.location): \(statement.command.rendered): share \(segment) has no connection of \(selector); the shares that do check it")
            return
        }
        var merged = GroupStats()
        for g in groups { merged.merge(engine.groupStats(g)) }
        let expected = "\(percentile.rawValue) round-trip latency of \(selector) \(bound.rawValue) \(limit)"
        guard let nanos = merged.latencyNanos(atPercentile: percentile.quantile * 100) else {
            throw fail(statement, expected: expected, seen: "no round trip measured yet (send, then expect echo or a reply first)", how: .other)
        }
        guard bound.comparison.holds(Int64(nanos), limit.nanoseconds) else {
            throw fail(statement, expected: expected, seen: "\(percentile.rawValue) = \(Format.nanos(nanos)) over \(merged.latency.totalCount) round trips", how: .wrongValue)
        }
        emit(.passed("\(percentile.rawValue) = \(Format.nanos(nanos)) over \(merged.latency.totalCount) round trips"))
    }
}
