// The traffic commands: resolve a selector to connections, connect groups (waiting until every
// handshake ended one way or the other), and queue sends and closing steps.

import ClientEngine
import Foundation
import Framing
import ScenarioLanguage
import Syscalls
import TLSClient
import Vocabulary

extension ScenarioSession {
    /// The connection ids a selector names now. `*` is every open connection.
    func resolve(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) -> [Int] {
        let ids = try selected(statement, selector)
        noteNoneOwned(statement, selector, ids)
        return ids
    }

    /// The connections a check judges. A share that owns none of them skips the check (`resolve`
    /// says so): nil. In a whole run none at all fails it: over no connection it would hold
    /// having judged nothing (`expect * echo` once every connection was closed or reset).
    func judged(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) -> [Int]? {
        let ids = try resolve(statement, selector)
        guard ids.isEmpty else { return ids }
        if !segment.isWhole { return nil }
        throw fail(statement, expected: "a connection to check", seen: "\(selector) selects none (no connection is open)", how: .other)
    }

    private func selected(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) -> [Int] {
        switch selector {
        case .all:
            return engine.openConnections()
        case .group(let name):
            guard engine.groupExists(name) else { throw unknownGroup(statement, name) }
            return engine.members(of: name)
        case .member(let name, let index):
            guard engine.groupExists(name) else { throw unknownGroup(statement, name) }
            // A share holds some of the group: indices are the whole run's.
            if !segment.isWhole { return try ownedMembers(statement, selector, name, index...index) }
            let members = engine.members(of: name)
            guard index < members.count else {
                throw fail(statement, expected: "\(name)[\(index)] to exist", seen: "group \(name) has \(members.count) connections", how: .other)
            }
            return [members[index]]
        case .range(let name, let indices):
            guard engine.groupExists(name) else { throw unknownGroup(statement, name) }
            if !segment.isWhole { return try ownedMembers(statement, selector, name, indices) }
            let members = engine.members(of: name)
            guard indices.upperBound < members.count else {
                throw fail(statement, expected: "\(selector) to exist", seen: "group \(name) has \(members.count) connections", how: .other)
            }
            return Array(members[indices])
        }
    }

    private func unknownGroup(_ statement: Statement, _ name: String) -> RunStop {
        fail(statement, expected: "group '\(name)' to exist", seen: "no connect has created it", how: .other)
    }

    func forEach(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ body: (Int) -> Void) throws(RunStop) {
        let ids = try resolve(statement, selector)
        for id in ids { body(id) }
        engine.poll()
    }

    /// `close`, `reset`, `halfclose`: extra bytes that arrived after a verified echo are reported
    /// before the connection goes, and each connection remembers who ended it and where.
    func closing(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ verb: String,
                 _ body: (Int) -> Void) throws(RunStop) {
        let ids = try resolve(statement, selector)
        engine.poll()
        try rejectExtraBytes(statement, ids)
        for id in ids {
            if engine.canSend(id) { reads.ended(id, by: verb, at: statement.location) }
            body(id)
        }
        engine.poll()
    }

    // MARK: connect

    func connect(_ statement: Statement, group: String, count: Int, rate: Rate?, timeout: ScenarioDuration?,
                 framing: Framing?, tls: TLSClientContext? = nil) throws(RunStop) {
        try ensureTarget(statement)
        let timeoutNanos = timeout.map { UInt64($0.nanoseconds) } ?? connectTimeoutNanos
        let started = Sys.monotonicNanos()
        let wholeCount = count
        let share = shares.connect(group: group, count: wholeCount, rate: rate)
        let count = share.count
        let ids = engine.connect(group: group, count: count, to: serverSlot.connectTarget!,
                                 ratePerSecond: share.ratePerSecond, timeoutNanos: timeoutNanos, framing: framing,
                                 firstIndex: share.firstIndex, tls: tls)
        let spread = rate.map { Self.saturatingNanos(seconds: Double(wholeCount) / $0.perSecond) } ?? 0
        // Connects queued behind the in-flight bound may each wait a full timeout in the worst case.
        let waves = UInt64(max(1, (count + engine.maxConnectsInFlight - 1) / engine.maxConnectsInFlight))
        let deadline = started &+ spread &+ timeoutNanos &* waves &+ 1_000_000_000
        var nextProgress = started &+ 250_000_000
        _ = engine.drive(until: deadline, interrupted: { interrupt.isSet }) {
            let now = Sys.monotonicNanos()
            if now >= nextProgress {
                nextProgress = now &+ 250_000_000
                let counts = engine.phaseCounts(ids)
                emit(.progress("connect \(group): \(counts[.open, default: 0])/\(count) open, "
                               + "\(counts[.connecting, default: 0] + counts[.pending, default: 0]) in progress"))
            }
            return !engine.stillConnecting(ids)
        }
        if interrupt.isSet { throw .interrupted }
        let elapsed = Double(Sys.monotonicNanos() - started) / 1e9
        let counts = engine.phaseCounts(ids)
        let open = counts[.open, default: 0]
        var line = "\(group): \(open)/\(count) connected\(tls == nil ? "" : " (TLS)") in \(Format.seconds(elapsed))"
            + (segment.isWhole ? "" : " (share \(segment) of \(wholeCount): "
               + (count == 0 ? "none of them)" : "\(group)[\(share.firstIndex!)..\(share.firstIndex! + count - 1)])"))
        if elapsed > 0 && open > 0 { line += " (\(Int(Double(open) / elapsed))/s)" }
        let problems = [("refused", counts[.refused, default: 0]), ("timed out", counts[.timedOut, default: 0]),
                        ("failed", counts[.failed, default: 0])].filter { $0.1 > 0 }
        if !problems.isEmpty { line += "; " + problems.map { "\($0.1) \($0.0)" }.joined(separator: ", ") }
        let firstFailed = ids.lazy.map({ self.engine.view($0) }).first(where: { $0.phase == .failed })
        let firstError = firstFailed?.lastError
        if let firstFailed { line += " (first error: \(Self.reason(firstFailed)))" }
        emit(.info(line))
        // Out of descriptors is this process's limit, not the server's behaviour: the scenario
        // cannot do what it says, and the failure itself says why (not only the -v line).
        let failed = counts[.failed, default: 0]
        if let firstError, firstError == EMFILE || firstError == ENFILE {
            throw fail(statement, expected: "\(count) connection(s) on \(group)",
                       seen: "\(failed) connect\(failed == 1 ? "" : "s") failed: \(Format.errno(firstError)); "
                           + "the limit is \(Sys.openFileLimit()) open files", how: .other)
        }
    }

    /// Nanoseconds for `seconds`, saturating instead of trapping on huge or non-finite values.
    static func saturatingNanos(seconds: Double) -> UInt64 {
        let nanos = seconds * 1e9
        guard nanos.isFinite else { return nanos > 0 ? UInt64.max : 0 }
        return nanos <= 0 ? 0 : nanos >= 1.8e19 ? UInt64.max : UInt64(nanos)
    }

    // MARK: send

    func send(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ payload: SendPayload) throws(RunStop) {
        let ids = try sendable(statement, selector)
        var pieces: (chunks: ClosedRange<Int>, gaps: ClosedRange<ScenarioDuration>?)?
        var literal = payload
        if case .pieces(let inner, let chunks, let gaps) = payload {
            literal = inner
            pieces = (chunks, gaps)
        }
        var fixed: [UInt8]?
        switch literal {
        case .text(let bytes), .hex(let bytes):
            fixed = bytes
        case .template(let template):
            fixed = try expand(template, statement)
        case .file(let path):
            let resolved = ScenarioPaths.resolve(path, relativeTo: statement.location.file)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw fail(statement, expected: "a readable file", seen: "cannot read '\(resolved)'", how: .other)
            }
            fixed = [UInt8](data)
        case .random, .pieces:
            fixed = nil
        }
        var total = 0
        var endedByPeer = 0
        let streams = random.derived(serial)
        for id in ids {
            let segments: [OutgoingSegment]
            if let fixed, let pieces {
                var rng = streams.derived(engine.view(id).name)
                segments = Self.literalSegments(fixed, chunks: pieces.chunks, gaps: pieces.gaps, using: &rng)
            } else if let fixed {
                segments = [OutgoingSegment(.bytes(fixed))]
            } else if case .random(let sizes, let chunks, let gaps) = payload {
                let view = engine.view(id)
                var rng = streams.derived(view.name)
                segments = Self.randomSegments(sizes: sizes, chunks: chunks, gaps: gaps, using: &rng)
            } else {
                segments = []
            }
            total += segments.reduce(0) { $0 + $1.byteCount }
            if !engine.send(id, segments) { endedByPeer += 1 }
        }
        var line = "queued \(Format.bytes(total)) on \(ids.count) connection\(ids.count == 1 ? "" : "s")"
        if endedByPeer > 0 { line += "; \(endedByPeer) already ended by the peer: their bytes are never sent (echo checks on them fail)" }
        emit(.info(line))
        // After the line: replies shown as they arrive then come under the send that caused them.
        engine.poll()
    }

    /// The connections a `send` goes to. Sending where this script made it impossible (a
    /// connection it closed, reset or half-closed, named by index or range) or where the connect
    /// never succeeded fails the statement with the reason. A whole group or `*` skips the members
    /// the script itself ended (churn: `close wave`, then `connect wave` again), but fails when
    /// that leaves none. A connection the peer ended gets its bytes counted as never sent, so
    /// every echo check on it fails: the server's behaviour is judged by the checks.
    func sendable(_ statement: Statement, _ selector: ScenarioLanguage.Selector) throws(RunStop) -> [Int] {
        let selected = try resolve(statement, selector)
        engine.poll()
        let wholeGroup: Bool
        switch selector {
        case .group, .all: wholeGroup = true
        case .member, .range: wholeGroup = false
        }
        let ids = wholeGroup ? selected.filter { engine.canSend($0) || reads.ending(of: $0) == nil } : selected
        let blocked = { (id: Int) in
            !self.engine.canSend(id) && (self.reads.ending(of: id) != nil || !self.engine.view(id).everConnected)
        }
        if let dead = ids.first(where: blocked) ?? (ids.isEmpty ? selected.first : nil) {
            throw fail(statement, expected: "\(selector) open for sending", seen: cannotSend(dead), how: Self.how(engine.view(dead)))
        }
        return ids
    }

    /// "web[0] is closed (closed by us at line 3): nothing can be sent".
    func cannotSend(_ id: Int) -> String {
        let v = engine.view(id)
        var why = v.phase == .failed ? "connect failed: \(Format.errno(v.lastError))" : Self.describe(v)
        // A failed TLS handshake ends the connection with a protocol error; OpenSSL's reason is
        // what the user needs (a certificate that does not verify, a version refused).
        if let tls = v.tls, !tls.handshakeDone, let reason = tls.failure { why = "TLS handshake failed: \(reason)" }
        if let by = reads.ending(of: id) { why = "\(by.verb) at line \(by.at.line)" }
        let state = v.phase == .open ? "half-closed" : v.phase == .failed || v.phase == .timedOut ? "not connected" : v.phase.rawValue
        return "\(v.name) is \(state) (\(why)): nothing can be sent"
    }

    /// Literal bytes cut into a number of pieces from `chunks`, with a pause from `gaps` before
    /// every piece but the first (the cut points and pauses drawn from the connection's stream).
    static func literalSegments(_ bytes: [UInt8], chunks: ClosedRange<Int>, gaps: ClosedRange<ScenarioDuration>?,
                                using rng: inout SeededRandom) -> [OutgoingSegment] {
        guard !bytes.isEmpty else { return [] }
        let pieces = rng.int(in: chunks)
        var segments: [OutgoingSegment] = []
        var at = 0
        for (i, n) in fragmentSizes(total: bytes.count, pieces: pieces, using: &rng).enumerated() {
            var delay: UInt64 = 0
            if i > 0, let gaps {
                delay = UInt64(Int64.random(in: gaps.lowerBound.nanoseconds...gaps.upperBound.nanoseconds, using: &rng))
            }
            segments.append(OutgoingSegment(.bytes(Array(bytes[at..<(at + n)])), delayNanos: delay))
            at += n
        }
        return segments
    }

    /// One random payload: a size from `sizes`, cut into a number of fragments from `chunks`,
    /// with a pause from `gaps` before every fragment but the first.
    static func randomSegments(sizes: ClosedRange<ByteSize>, chunks: ClosedRange<Int>?,
                               gaps: ClosedRange<ScenarioDuration>?, using rng: inout SeededRandom) -> [OutgoingSegment] {
        let size = rng.int(in: sizes.lowerBound.bytes...sizes.upperBound.bytes)
        guard size > 0 else { return [] }
        let pieces = chunks.map { rng.int(in: $0) } ?? 1
        var segments: [OutgoingSegment] = []
        for (i, n) in fragmentSizes(total: size, pieces: pieces, using: &rng).enumerated() {
            var delay: UInt64 = 0
            if i > 0, let gaps {
                delay = UInt64(Int64.random(in: gaps.lowerBound.nanoseconds...gaps.upperBound.nanoseconds, using: &rng))
            }
            segments.append(OutgoingSegment(.random(count: n, generator: rng.derived(UInt64(i))), delayNanos: delay))
        }
        return segments
    }
}
