// Redis replies (RESP2 and RESP3): where the value at the front of the buffer ends. Nested
// aggregates are measured recursively, with a depth bound so hostile nesting cannot exhaust
// the stack; a malformed type byte or length is an error at its stream offset.

enum RESPFraming {
    static let maxDepth = 64

    /// The length of the complete value at the front of `buffer`, nil when it is incomplete.
    static func end<B: FrameBytes>(of buffer: B, max: Int) throws(FramingError) -> Int? {
        try value(at: 0, in: buffer, depth: 0, max: max)
    }

    private static func value<B: FrameBytes>(at i: Int, in b: B, depth: Int, max: Int) throws(FramingError) -> Int? {
        guard i < b.count else { return nil }
        guard depth <= maxDepth else { throw FramingError("aggregates nested deeper than \(maxDepth)", at: b.offset(i)) }
        let type = b[i]
        guard let (content, next) = try line(after: i, in: b, max: max) else { return nil }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ","):
            return next
        case UInt8(ascii: ":"), UInt8(ascii: "("):
            _ = try integer(content, in: b, what: type == UInt8(ascii: ":") ? "integer" : "big number", big: true)
            return next
        case UInt8(ascii: "_"):
            guard content.isEmpty else { throw FramingError("null '_' carries \(content.count) byte(s)", at: b.offset(i)) }
            return next
        case UInt8(ascii: "#"):
            guard content.count == 1, b[content.lowerBound] == UInt8(ascii: "t") || b[content.lowerBound] == UInt8(ascii: "f") else {
                throw FramingError("boolean '#' must be t or f", at: b.offset(i + 1))
            }
            return next
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try integer(content, in: b, what: "bulk length", big: false)
            if length == -1 && type == UInt8(ascii: "$") { return next }  // RESP2 null bulk string
            guard length >= 0 else { throw FramingError("negative bulk length \(length)", at: b.offset(i + 1)) }
            guard length <= max else { throw FramingError("bulk length \(length) is over the limit of \(max)", at: b.offset(i + 1)) }
            let end = next + length + 2
            guard b.count >= end else { return nil }
            guard b[end - 2] == 0x0d && b[end - 1] == 0x0a else {
                throw FramingError("bulk string of \(length) byte(s) not followed by CRLF", at: b.offset(end - 2))
            }
            return end
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try integer(content, in: b, what: "aggregate length", big: false)
            if count == -1 && type == UInt8(ascii: "*") { return next }  // RESP2 null array
            guard count >= 0 else { throw FramingError("negative aggregate length \(count)", at: b.offset(i + 1)) }
            let pairs = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
            let (elements, overflow) = count.multipliedReportingOverflow(by: pairs ? 2 : 1)
            guard !overflow, elements <= max else { throw FramingError("aggregate of \(count) elements is over the limit", at: b.offset(i + 1)) }
            var at = next
            for _ in 0..<elements {
                guard let end = try value(at: at, in: b, depth: depth + 1, max: max) else { return nil }
                at = end
            }
            // Attributes annotate the value that follows them: the frame is both.
            if type == UInt8(ascii: "|") { return try value(at: at, in: b, depth: depth + 1, max: max) }
            return at
        default:
            throw FramingError("unknown RESP type byte \(FrameText.escape(type))", at: b.offset(i))
        }
    }

    /// The content range of the CRLF-terminated line after the type byte at `i`, and the index
    /// after its LF; nil when no LF has arrived yet.
    private static func line<B: FrameBytes>(after i: Int, in b: B, max: Int) throws(FramingError) -> (Range<Int>, Int)? {
        guard let lf = b.firstLF(from: i + 1) else {
            if b.count - i > max { throw FramingError("no line end within \(max) bytes", at: b.offset(i)) }
            return nil
        }
        guard lf >= i + 2, b[lf - 1] == 0x0d else {
            throw FramingError("line not ended by CRLF", at: b.offset(lf))
        }
        return ((i + 1)..<(lf - 1), lf + 1)
    }

    /// A decimal integer with an optional sign; `big` allows any number of digits (RESP3 big numbers).
    private static func integer<B: FrameBytes>(_ r: Range<Int>, in b: B, what: String, big: Bool) throws(FramingError) -> Int {
        var i = r.lowerBound
        var negative = false
        if i < r.upperBound && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < r.upperBound else { throw FramingError("\(what) has no digits", at: b.offset(r.lowerBound)) }
        var value = 0
        var overflowed = false
        while i < r.upperBound {
            let d = b[i]
            guard d >= 0x30 && d <= 0x39 else { throw FramingError("\(what) has a non-digit \(FrameText.escape(d))", at: b.offset(i)) }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(d - 0x30))
            if o1 || o2 { overflowed = true } else { value = s }
            i += 1
        }
        if overflowed && !big { throw FramingError("\(what) is too large", at: b.offset(r.lowerBound)) }
        return negative ? -value : value
    }
}
