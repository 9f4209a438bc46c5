// `--source 127.0.0.2-127.0.0.9` (or `source=` on `connect`): local addresses to spread
// connections over, so one host holds more than one address's ~28k ephemeral ports per
// destination. A single address, a comma list, or an IPv4 range; connection k uses address
// k mod count, so a segmented test spreads the same way in every share.

public struct SourceAddresses: Sendable, Equatable, CustomStringConvertible {
    /// The addresses, as text `inet_pton` takes (no brackets, no ports).
    public var addresses: [String]

    /// Most addresses one option may name (a /16 worth): a typo must not allocate millions.
    public static let maxCount = 65_536

    public init(addresses: [String]) { self.addresses = addresses }

    public init(parsing text: Substring) throws(ValueError) {
        var out: [String] = []
        var offset = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            do {
                out += try Self.expand(part)
            } catch {
                throw ValueError(error.message, offset: offset + error.offset)
            }
            guard out.count <= Self.maxCount else {
                throw ValueError("more than \(Self.maxCount) source addresses in '\(text)'", offset: offset)
            }
            offset += part.unicodeScalars.count + 1
        }
        addresses = out
    }

    public var description: String { addresses.count == 1 ? addresses[0] : "\(addresses.first!)..\(addresses.last!) (\(addresses.count))" }

    /// The address connection `k` binds to.
    public func address(for k: Int) -> String { addresses[k % addresses.count] }

    private static func expand(_ part: Substring) throws(ValueError) -> [String] {
        guard !part.isEmpty else { throw ValueError("empty source address") }
        let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        if ends.count == 1 {
            if let v4 = ipv4(part) { return [format(v4)] }
            guard part.contains(":"), part.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw ValueError("expected an IPv4 or IPv6 address, got \(ValueParser.got(part))")
            }
            return [String(part)]
        }
        guard let lo = ipv4(ends[0]) else { throw ValueError("expected an IPv4 address, got \(ValueParser.got(ends[0]))") }
        guard let hi = ipv4(ends[1]) else {
            throw ValueError("expected an IPv4 address, got \(ValueParser.got(ends[1]))", offset: ends[0].unicodeScalars.count + 1)
        }
        guard lo <= hi else { throw ValueError("empty range '\(part)': the first address is above the last") }
        guard hi - lo < UInt32(maxCount) else { throw ValueError("range '\(part)' has more than \(maxCount) addresses") }
        return (lo...hi).map(format)
    }

    static func ipv4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy(\.isASCIIDigit), let n = UInt32(o), n <= 255 else { return nil }
            value = value << 8 | n
        }
        return value
    }

    static func format(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)" }
}
