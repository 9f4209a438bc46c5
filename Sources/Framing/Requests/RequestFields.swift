// A request cut into fields that render back byte-exactly: the request side of a framing, for
// a fuzzer that mutates what a request says (a length, a header, an argument) rather than its
// bytes blindly. Rendering is concatenation, so `rendered()` of a parse is the input by
// construction; what the fields add is what each run of bytes *means*.

public struct RequestField: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Punctuation and line ends the protocol requires (`*`, `$`, `: `, CR LF).
        case syntax
        /// A word the protocol gives meaning to: a command, a method, a header name, a version.
        case token
        /// An integer written in decimal (a RESP count or length, Content-Length's value).
        case decimal
        /// An integer written in hexadecimal (an HTTP chunk size).
        case hexadecimal
        /// A binary integer of `width` bytes (a length prefix).
        case binary(width: Int, bigEndian: Bool)
        /// Data: an argument, a header value, a body, a payload.
        case value
    }

    public var kind: Kind
    /// What the field is, in words a finding can show: "bulk 2 length", "header Host value".
    public var name: String
    public var bytes: [UInt8]
    /// Fields of one unit (a RESP bulk, a header line, a chunk) share a group: repeating or
    /// removing a unit takes all of them. nil: part of no repeatable unit.
    public var group: Int?
    /// For an integer: the index of the field whose byte count it states (a bulk length, a
    /// length prefix, a chunk size, Content-Length).
    public var lengthOf: Int?
    /// For an integer: it states how many groups follow (a RESP array count).
    public var countsGroups = false

    public init(_ kind: Kind, _ name: String, _ bytes: [UInt8], group: Int? = nil, lengthOf: Int? = nil, countsGroups: Bool = false) {
        self.kind = kind
        self.name = name
        self.bytes = bytes
        self.group = group
        self.lengthOf = lengthOf
        self.countsGroups = countsGroups
    }

    public var isInteger: Bool {
        switch kind {
        case .decimal, .hexadecimal, .binary: return true
        case .syntax, .token, .value: return false
        }
    }

    /// The integer the field holds (nil when its bytes are not one, or it is not an integer).
    public var integerValue: Int? {
        switch kind {
        case .decimal: return Int(String(decoding: bytes, as: UTF8.self))
        case .hexadecimal: return Int(String(decoding: bytes, as: UTF8.self), radix: 16)
        case .binary(_, let bigEndian):
            var value: UInt64 = 0
            for b in bigEndian ? bytes : bytes.reversed() { value = value << 8 | UInt64(b) }
            return Int(exactly: value)
        case .syntax, .token, .value: return nil
        }
    }

    /// `value` written the way this field writes integers (binary: truncated to its width).
    public func encoded(_ value: Int) -> [UInt8] {
        switch kind {
        case .hexadecimal: return Array(String(value, radix: 16).utf8)
        case .binary(let width, let bigEndian): return Self.binary(UInt64(bitPattern: Int64(value)), width: width, bigEndian: bigEndian)
        case .decimal, .syntax, .token, .value: return Array(String(value).utf8)
        }
    }

    public static func binary(_ value: UInt64, width: Int, bigEndian: Bool) -> [UInt8] {
        let little = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        return bigEndian ? little.reversed() : little
    }
}

/// A parsed request: its fields in order.
public struct RequestFields: Sendable, Equatable {
    public var fields: [RequestField]

    public init(_ fields: [RequestField]) { self.fields = fields }

    public func rendered() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.bytes.count })
        for field in fields { out += field.bytes }
        return out
    }

    /// The groups in order of first appearance, each with its field indices.
    public var groups: [(group: Int, indices: [Int])] {
        var order: [Int] = []
        var members: [Int: [Int]] = [:]
        for (i, field) in fields.enumerated() {
            guard let g = field.group else { continue }
            if members[g] == nil { order.append(g) }
            members[g, default: []].append(i)
        }
        return order.map { ($0, members[$0]!) }
    }

    /// Sets field `index`'s bytes; with `keepLengths`, every integer stating its length is
    /// rewritten to the new length (a consistent change, as opposed to a lying length).
    public mutating func set(_ index: Int, to bytes: [UInt8], keepLengths: Bool) {
        fields[index].bytes = bytes
        guard keepLengths else { return }
        for j in fields.indices where fields[j].lengthOf == index {
            fields[j].bytes = fields[j].encoded(bytes.count)
        }
    }
}
