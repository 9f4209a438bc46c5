// Whether a reply is right: it matches `--expect` (a regex over the whole frame, terminator
// included). Matching a regex per reply would dominate a fast run, so the first reply that
// matched for each request is kept, and a reply byte-identical to it is right at the cost of
// one memcmp: servers answer the same request the same way far more often than not. The
// regex dialect and the bytes-as-Latin-1 reading are the language's `match` (`ByteRegex`).

import Framing
import Glibc

final class ReplyCheck {
    let pattern: String?
    private let regex: ByteRegex?
    /// Per request of the mix, the bytes of a reply known to match (empty: none yet).
    private var known: [[UInt8]]

    init(pattern: String?, requests: Int) throws {
        self.pattern = pattern
        regex = try pattern.map { try ByteRegex($0) }
        known = Array(repeating: [], count: requests)
    }

    /// Whether the frame at `bytes` is a right reply to request `k`.
    @inline(__always)
    func accepts(_ bytes: UnsafeRawBufferPointer, request k: Int) -> Bool {
        guard let regex else { return true }
        let count = known[k].count
        if count == bytes.count && count > 0 {
            let same = known[k].withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, count) == 0 }
            if same { return true }
        }
        guard regex.firstMatch(in: bytes) != nil else { return false }
        if known[k].isEmpty { known[k] = Array(bytes) }
        return true
    }
}
