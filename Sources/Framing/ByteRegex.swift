// Regular expressions over bytes. NSRegularExpression searches text, so bytes are read as
// Latin-1: one byte is one character and one UTF-16 unit, and match offsets are byte offsets.
// The one conversion behind `match`, `reply match`, fuzz's --mask and load's --expect.

import Foundation

/// Bytes as Latin-1 text that grows by appending, so a wait on a growing inbox converts each
/// byte once, not the whole inbox on every look.
public struct Latin1Text {
    public private(set) var string = ""
    /// Bytes converted so far: also the text's length in characters and in UTF-16 units.
    public private(set) var byteCount = 0

    public init() {}

    public init(_ bytes: some Collection<UInt8>) { append(bytes) }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        let high = bytes.reduce(0) { $0 + Int($1 >> 7) }
        if high == 0 {
            string += String(decoding: bytes, as: UTF8.self)
        } else {
            // U+0080...U+00FF take two UTF-8 bytes each.
            string += String(unsafeUninitializedCapacity: bytes.count + high) { out in
                var i = 0
                for b in bytes {
                    if b < 0x80 {
                        out[i] = b
                        i += 1
                    } else {
                        out[i] = 0xc0 | (b >> 6)
                        out[i + 1] = 0x80 | (b & 0x3f)
                        i += 2
                    }
                }
                return i
            }
        }
        byteCount += bytes.count
    }
}

/// Where a pattern matched, in bytes.
public struct ByteMatch: Equatable {
    public var range: Range<Int>
    /// The first capture group's bytes, when the pattern has one and it took part in the match.
    public var firstGroup: Range<Int>?
}

public struct ByteRegex {
    public let pattern: String
    private let regex: NSRegularExpression

    /// Throws when `pattern` is not a valid NSRegularExpression. `linesAnchored`: `^` and `$`
    /// also match at the start and end of each line inside the bytes (a mask written for one
    /// header line of a reply), not only at the ends of the whole.
    public init(_ pattern: String, linesAnchored: Bool = false) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: pattern, options: linesAnchored ? [.anchorsMatchLines] : [])
    }

    /// A pattern that matches exactly `bytes` (regex characters escaped).
    public static func literal(_ bytes: some Collection<UInt8>) -> String {
        NSRegularExpression.escapedPattern(for: Latin1Text(bytes).string)
    }

    public func firstMatch(in text: Latin1Text) -> ByteMatch? {
        guard let m = regex.firstMatch(in: text.string, range: NSRange(location: 0, length: text.byteCount)) else { return nil }
        let group = m.numberOfRanges > 1 && m.range(at: 1).location != NSNotFound ? Range(m.range(at: 1)) : nil
        return ByteMatch(range: Range(m.range)!, firstGroup: group)
    }

    public func firstMatch(in bytes: some Collection<UInt8>) -> ByteMatch? {
        firstMatch(in: Latin1Text(bytes))
    }

    /// Every non-overlapping match, in order.
    public func matches(in bytes: some Collection<UInt8>) -> [Range<Int>] {
        let text = Latin1Text(bytes)
        return regex.matches(in: text.string, range: NSRange(location: 0, length: text.byteCount)).compactMap { Range($0.range) }
    }
}
