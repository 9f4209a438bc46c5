// A content finding as a scenario that replays it: the server (spawned fresh, or the target),
// each input on a connection of its own (its requests as consecutive sends, the replies it got
// awaited, then closed, as the campaign's executor did), ending in the check that fails the way
// the campaign saw: `expect target alive` for a crash or hang, the reply count and `no-reply`
// for one reply too many, a pause then `drain` (which fails on bytes that cannot be framed) for an
// unframeable one, the
// reference's replies (masks applied, as many as both servers gave) for a differential finding.

import Framing
import ScenarioLanguage
import ScenarioRunner

enum ContentScenario {
    static let group = "c"
    /// How long a `no-reply` check waits for the extra reply (the campaign waited less).
    static let extraReplyWait = ScenarioDuration.milliseconds(200)
    /// How long a file waits for unframeable bytes before checking what came (the campaign saw
    /// them within its reply wait, a fraction of this).
    static let malformedWait = ScenarioDuration.milliseconds(300)

    /// The prologue and body that replay `inputs` to `judgement`'s failure.
    static func commands(_ inputs: [ContentCase], _ judgement: ContentJudgement, _ config: ContentConfiguration) -> [Command] {
        var out: [Command] = [.setFraming(config.framing)]
        if let spawn = config.spawn {
            out.append(.spawn(command: spawn.text))
        } else if let target = config.target {
            out.append(.target(host: target.tlsName, port: target.address.port))
        }
        let wait = ScenarioDuration(nanoseconds: Int64(max(2_000_000_000, config.hangTimeoutNanos)))
        let alive = ScenarioDuration(nanoseconds: Int64(config.hangTimeoutNanos))
        let shown = min(inputs.count, judgement.outcomes.count)
        let last = shown - 1
        let failsHere = judgement.kind.check == .differential
            || (judgement.kind.check == .protocolViolation && judgement.outcomes.last.map(Self.violatesInReplies) == true)
        for i in 0..<shown {
            let c = Selector.member(group, index: i)
            out.append(.connect(group: group, count: 1, rate: nil, timeout: nil))
            out += inputs[i].requests.map { .send(c, .text($0)) }
            let outcome = judgement.outcomes[i]
            if i == last && failsHere {
                out += failingChecks(c, outcome, judgement, config, wait: wait)
                return out
            }
            if !outcome.replies.isEmpty { out.append(.expectReplies(c, outcome.replies.count, within: wait)) }
            out.append(.close(c))
        }
        out.append(.expectAlive(probe: config.probe.request, match: config.probe.pattern, within: alive))
        return out
    }

    /// Whether the outcome's own replies show the violation (rather than the probe's answer).
    static func violatesInReplies(_ outcome: ContentOutcome) -> Bool {
        outcome.malformed != nil || outcome.hasExtraReply
    }

    /// The checks on the input that fails in its own replies.
    static func failingChecks(_ c: Selector, _ outcome: ContentOutcome, _ judgement: ContentJudgement,
                              _ config: ContentConfiguration, wait: ScenarioDuration) -> [Command] {
        if judgement.kind.check == .differential, let reference = judgement.referenceReplies {
            // The reference's answers, as many as both gave (the campaign compares what replies
            // say, not how many come within a wait).
            return reference.prefix(outcome.replies.count).map { .expectReply(c, MaskedReply.check(reference: $0, masks: config.masks), within: wait) }
        }
        if outcome.malformed != nil {
            // A wait for what the server sends, then a check that it all frames: the bytes that
            // cannot be framed fail it, while a correct server passes however many replies it
            // gives (an error per line for bytes that are no request) and whether it closes.
            return [.sleep(malformedWait), .expectDrain(c)]
        }
        let allowed = outcome.allowed ?? 0
        return (allowed > 0 ? [.expectReplies(c, allowed, within: wait)] : []) + [.expectNoReply(c, within: extraReplyWait)]
    }

    static func text(_ commands: [Command], header: [String]) -> String {
        (header.map { "# " + $0.replacingOccurrences(of: "\n", with: " ") } + commands.map(\.rendered)).joined(separator: "\n") + "\n"
    }

    /// Whether a replay's failure is the finding's: the same kind, or for a differential finding
    /// any reply check or violation (the file holds the reference's replies as expectations).
    static func replays(_ kind: FailureKind, as replayed: FailureKind) -> Bool {
        if kind.check == .differential { return replayed.check == .reply || replayed.check == .protocolViolation }
        // Unframeable bytes show as a framing error or, cut before the decoder can tell, as part
        // of a reply too many: both are the violation the campaign saw on that connection.
        if kind.check == .protocolViolation { return replayed.check == .protocolViolation }
        return replayed == kind
    }
}
