// The spec-free oracles of a content campaign, applied to inputs sent one connection each:
// a reply the framing cannot parse or one reply more than the requests sent (protocol
// violation), a reply unlike the reference implementation's (differential), and, on a fresh
// connection afterwards, a server that ended or no longer answers (crash, hang). A server that
// answers an error and closes the connection has done nothing wrong.

import Framing
import ProcessMonitor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

/// The server under test: a process the campaign restarts, or a target it cannot.
final class ContentServer {
    let monitor: ProcessMonitor?
    private let fixed: SocketAddress?
    /// A spawned reference implementation, restarted with the server under test.
    let referenceMonitor: ProcessMonitor?
    private let fixedReference: SocketAddress?

    init(monitor: ProcessMonitor?, target: SocketAddress?, referenceMonitor: ProcessMonitor? = nil, reference: SocketAddress? = nil) {
        self.monitor = monitor
        fixed = target
        self.referenceMonitor = referenceMonitor
        fixedReference = reference
    }

    var address: SocketAddress { monitor?.address ?? fixed! }
    var process: ServerProcess? { monitor?.current }
    var canRestart: Bool { monitor != nil }
    var reference: SocketAddress? { referenceMonitor?.address ?? fixedReference }

    /// A fresh instance (spawned), or the same target; false when a spawn failed. A spawned
    /// reference starts fresh too: a differential check compares two servers that have seen
    /// the same requests, or it compares their histories.
    func fresh() -> Bool {
        guard let monitor else { return true }
        do {
            try monitor.restart()
            try referenceMonitor?.restart()
        } catch { return false }
        return true
    }
}

/// A failure the oracles saw, with what the written file's checks need.
struct ContentJudgement: Sendable {
    var kind: FailureKind
    var seen: String
    /// Each input's outcome, in order (the last may be the failing one).
    var outcomes: [ContentOutcome]
    /// The reference's replies to the last input (differential only).
    var referenceReplies: [[UInt8]]?
}

struct ContentJudge {
    let config: ContentConfiguration
    let server: ContentServer

    /// Sends each of `inputs` on a connection of its own, in order, then probes liveness.
    func judge(_ inputs: [ContentCase]) -> ContentJudgement? {
        var outcomes: [ContentOutcome] = []
        for (i, input) in inputs.enumerated() {
            let outcome = ContentExecutor.run(input, at: server.address, framing: config.framing, timing: config.timing)
            outcomes.append(outcome)
            if let failure = immediate(outcome, input, connection: i, outcomes: outcomes) { return failure }
            if case .notConnected = outcome.end { break }
        }
        return probe(outcomes)
    }

    /// What one input's own replies show: a violation, or a difference from the reference.
    func immediate(_ outcome: ContentOutcome, _ input: ContentCase, connection i: Int, outcomes: [ContentOutcome]) -> ContentJudgement? {
        if let malformed = outcome.malformed {
            return ContentJudgement(kind: FailureKind(check: .protocolViolation, how: .malformedReply),
                                    seen: "c[\(i)]: after \(outcome.replies.count) whole repl\(outcome.replies.count == 1 ? "y" : "ies"), bytes no \(config.framing) reply can be: \(malformed)",
                                    outcomes: outcomes)
        }
        if config.countsReplies, outcome.hasExtraReply, let allowed = outcome.allowed {
            return ContentJudgement(kind: FailureKind(check: .protocolViolation, how: .extraReply),
                                    seen: "c[\(i)]: \(outcome.replies.count) replies to \(allowed) request\(allowed == 1 ? "" : "s"); "
                                        + "reply \(allowed + 1): \(FrameText.render(outcome.replies[allowed]))",
                                    outcomes: outcomes)
        }
        if let reference = server.reference {
            let theirs = ContentExecutor.run(input, at: reference, framing: config.framing, timing: config.timing)
            // What the replies say is compared, not how many came: two servers' counts within one
            // short wait differ with their speed, and a reset discards replies on their way (a
            // server that answers an error and closes with requests unread resets). One reply too
            // many for the requests is the violation oracle's to see.
            if let difference = Self.difference(outcome.replies, theirs.replies, masks: config.masks) {
                return ContentJudgement(kind: FailureKind(check: .differential, how: difference.how),
                                        seen: "c[\(i)]: \(difference.seen)", outcomes: outcomes, referenceReplies: theirs.replies)
            }
        }
        return nil
    }

    /// A fresh connection's probe after `outcomes`: nil when the server answered.
    func probe(_ outcomes: [ContentOutcome]) -> ContentJudgement? {
        guard let verdict = config.probe.check(server.address, withinNanos: config.hangTimeoutNanos, process: server.process) else {
            return nil
        }
        return ContentJudgement(kind: Self.kind(verdict), seen: verdict.seen, outcomes: outcomes)
    }

    /// The kind of a probe's verdict: crash and hang as the way it failed says, a wrong or
    /// unframeable answer as a reply failure or protocol violation.
    static func kind(_ verdict: LivenessProbe.Verdict) -> FailureKind {
        switch verdict.how {
        case .wrongReply: return FailureKind(check: .reply, how: .wrongReply)
        case .malformedReply: return FailureKind(check: .protocolViolation, how: .malformedReply)
        default: return FailureKind(check: .liveness, how: verdict.how).implied
        }
    }

    /// The first of the replies both servers gave in which `ours` says something other than the
    /// reference's `theirs` (a mask matching in a reference reply lets that part differ), or nil.
    /// How many replies each gave within a wait is not compared: that is their speed.
    static func difference(_ ours: [[UInt8]], _ theirs: [[UInt8]], masks: [String]) -> (how: FailureKind.How, seen: String)? {
        for (k, reference) in theirs.prefix(ours.count).enumerated() {
            let same: Bool
            switch MaskedReply.check(reference: reference, masks: masks) {
            case .bytes: same = ours[k] == reference
            case .match(let pattern, _): same = (try? ByteRegex(pattern))?.firstMatch(in: ours[k]) != nil
            }
            if !same {
                return (.wrongReply, "reply \(k + 1) is \(FrameText.render(ours[k])); the reference answered \(FrameText.render(reference))")
            }
        }
        return nil
    }
}

extension FailureKind {
    /// With the check its way of failing implies (a process exit is a crash wherever seen).
    var implied: FailureKind {
        FailureKind(check: how.impliedCheck ?? check, how: how)
    }
}
