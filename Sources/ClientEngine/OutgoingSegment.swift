// What a connection will send, in order: data fragments (literal or generated on demand, so a
// 50 MiB random send holds no 50 MiB array), each after an optional pause, and the orderly
// closing steps queued behind them.

import Vocabulary

public struct OutgoingSegment: Sendable {
    public enum Content: Sendable {
        case bytes([UInt8])
        /// `count` random bytes drawn from `generator` when the socket can take them.
        case random(count: Int, generator: SeededRandom)
        /// shutdown(SHUT_WR) once everything before it is sent.
        case halfClose
        /// close() once everything before it is sent.
        case close
    }

    public var content: Content
    /// Pause after the previous segment was handed to the kernel, before this one starts.
    public var delayNanos: UInt64
    /// How many requests end in this segment (framed groups): each one's send time waits for a reply.
    var requestsEnding = 0

    public init(_ content: Content, delayNanos: UInt64 = 0) {
        self.content = content
        self.delayNanos = delayNanos
    }

    /// A half-close or close (over TLS, close_notify goes out first).
    var isClosingStep: Bool {
        switch content {
        case .halfClose, .close: return true
        case .bytes, .random: return false
        }
    }

    public var byteCount: Int {
        switch content {
        case .bytes(let b): return b.count
        case .random(let count, _): return count
        case .halfClose, .close: return 0
        }
    }
}

/// Splits a payload of `total` bytes into fragment sizes: `pieces` cut points drawn at random.
public func fragmentSizes(total: Int, pieces: Int, using random: inout SeededRandom) -> [Int] {
    let pieces = max(1, min(pieces, total))
    guard pieces > 1 else { return [total] }
    var cuts = Set<Int>()
    while cuts.count < pieces - 1 { cuts.insert(random.int(in: 1...(total - 1))) }
    var sizes: [Int] = []
    var previous = 0
    for cut in cuts.sorted() + [total] {
        sizes.append(cut - previous)
        previous = cut
    }
    return sizes
}
