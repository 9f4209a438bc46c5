// The request/response oracle: a server's answer must not depend on how the request bytes were
// cut, paced, pipelined or interleaved. Each connection sends its own stream of the given
// requests (round robin over the weighted mix, from a different place on each connection), and
// every reply must be the reference reply to its request: what a clean run got for it alone.

import Framing
import ScenarioLanguage

public struct RequestOracle: Sendable, Equatable {
    public var requests: [[UInt8]]
    /// Request indices in sending order (RequestMix's smooth weighted round robin).
    public var schedule: [Int]
    public var framing: Framing
    /// Regular expressions: what they match in a reference reply may differ in a real one
    /// (dates, ids). The written scenario then checks the reply with `reply match`.
    public var masks: [String]
    /// Per request, the reply a clean run got (empty until `Fuzzer.fetchReferences`).
    public var references: [[UInt8]] = []

    public init(_ mix: RequestMix, framing: Framing, masks: [String] = []) {
        requests = mix.requests
        schedule = mix.schedule
        self.framing = framing
        self.masks = masks
    }

    /// The request connection `conn` sends as its number `index` (from 0).
    public func request(conn: Int, index: Int) -> Int {
        schedule[(index + conn) % schedule.count]
    }

    /// The bytes of connection `conn`'s requests `first..<first + count`, one stream.
    func stream(conn: Int, first: Int, count: Int) -> [UInt8] {
        (first..<(first + count)).flatMap { requests[request(conn: conn, index: $0)] }
    }

    /// The masks that match nothing in any reference reply (warned about before fuzzing).
    public var masksMatchingNothing: [String] { MaskedReply.matchingNothing(masks, in: references) }

    /// Why the masks leave nothing to check, or nil: a reference reply they cover end to end
    /// would let any reply pass its check.
    public var maskedWholly: String? {
        guard let k = MaskedReply.whollyMasked(masks, in: references).first else { return nil }
        return "the masks cover the whole reference reply to request \(k + 1) (\(FrameText.render(references[k]))): any reply would pass its check; mask only the part that varies"
    }

    /// The check of request `k`'s reply: its reference exactly, or, where a mask matches it, a
    /// pattern with the masked parts as wildcards (see MaskedReply).
    public func replyCheck(_ k: Int) -> ScenarioLanguage.ReplyCheck {
        MaskedReply.check(reference: references[k], masks: masks)
    }
}
