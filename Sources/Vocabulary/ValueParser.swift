// Reading values out of words: durations, sizes, counts, ranges, rates, seeds, ports. One parser
// for the scenario language and the command line. All arithmetic is overflow-checked and exact
// (1.5s is 1_500_000_000ns, never a rounded double); errors say where in the word they are.

/// Why a word is not the value asked for; `offset` counts Unicode scalars into the word.
public struct ValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int = 0) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}

public enum ValueParser {
    public static let durationUnits: [Substring: Int64] = [
        "ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]
    public static let sizeUnits: [Substring: Int64] = [
        "": 1, "B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
    ]
    public static let countUnits: [Substring: Int64] = ["": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000]
    /// Server stats mix counts and byte totals, so a NUMBER takes either family of suffixes
    /// (they do not overlap: `M` is a million, `MB`/`MiB` are bytes).
    public static let numberUnits = sizeUnits.merging(countUnits) { a, _ in a }

    /// How error messages show a value: quoted, or "nothing" for a missing one (`rate=`).
    public static func got(_ text: Substring) -> String { text.isEmpty ? "nothing" : "'\(text)'" }

    public static func duration(_ text: Substring) throws(ValueError) -> ScenarioDuration {
        guard let parts = split(text) else {
            throw ValueError("expected a duration like 250ms or 2s, got \(got(text))")
        }
        if parts.suffix.isEmpty {
            // A bare 0 is the one duration that needs no unit: zero is zero in any unit.
            if parts.isZero { return .zero }
            throw ValueError("duration '\(text)' needs a unit, like \(text)ms or \(text)s")
        }
        guard let unit = durationUnits[parts.suffix] else {
            throw ValueError("expected a duration like 250ms or 2s, got \(got(text))")
        }
        switch scale(parts, by: unit) {
        case .value(let ns): return ScenarioDuration(nanoseconds: ns)
        case .tooLarge: throw ValueError("duration '\(text)' is too large")
        case .inexact: throw ValueError("duration '\(text)' is finer than a nanosecond")
        }
    }

    public static func size(_ text: Substring) throws(ValueError) -> ByteSize {
        let n = try integer(text, units: sizeUnits, noun: "size",
                            expected: "a size like 64, 4KiB or 1MiB", inexact: "is not a whole number of bytes")
        return ByteSize(bytes: n)
    }

    public static func count(_ text: Substring) throws(ValueError) -> Int {
        try integer(text, units: countUnits, noun: "count",
                    expected: "a count like 200 or 10k", inexact: "is not a whole number")
    }

    public static func number(_ text: Substring) throws(ValueError) -> Int {
        try integer(text, units: numberUnits, noun: "number",
                    expected: "a number like 100, 10k or 4KiB", inexact: "is not a whole number")
    }

    static func integer(
        _ text: Substring, units: [Substring: Int64],
        noun: String, expected: String, inexact: String
    ) throws(ValueError) -> Int {
        guard let parts = split(text), let unit = units[parts.suffix] else {
            throw ValueError("expected \(expected), got \(got(text))")
        }
        switch scale(parts, by: unit) {
        case .value(let n): return Int(n)
        case .tooLarge: throw ValueError("\(noun) '\(text)' is too large")
        case .inexact: throw ValueError("\(noun) '\(text)' \(inexact)")
        }
    }

    /// `COUNT/UNIT` (`5000/s`, `10/ms`), `COUNT/DURATION` (`3/10s`) or a bare `COUNT`, per
    /// second (`5000`, `10k`), both sides above zero.
    public static func rate(_ text: Substring) throws(ValueError) -> Rate {
        guard let slash = text.firstIndex(of: "/") else {
            let count: Int
            do { count = try self.count(text) } catch {
                throw ValueError("expected a rate like 5000, 5000/s or 10k/s (a bare count is per second), got \(got(text))")
            }
            guard count > 0 else { throw ValueError("rate '\(text)' must be above zero") }
            return Rate.perSecond(count)
        }
        let countText = text[..<slash]
        let perText = text[text.index(after: slash)...]
        let count = try self.count(countText)
        let perOffset = countText.unicodeScalars.count + 1
        let per: ScenarioDuration
        if let unit = durationUnits[perText] {
            per = ScenarioDuration(nanoseconds: unit)
        } else {
            do { per = try duration(perText) } catch { throw ValueError(error.message, offset: perOffset + error.offset) }
        }
        guard count > 0, per > .zero else {
            throw ValueError("rate '\(text)' must be above zero")
        }
        return Rate(count: count, per: per)
    }

    /// Decimal digits or `0x` hex, the full UInt64 range (seeds are often copied from logs).
    public static func seed(_ text: Substring) throws(ValueError) -> UInt64 {
        let value: UInt64?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            value = digits.isEmpty || digits.hasPrefix("+") || digits.hasPrefix("-") ? nil : UInt64(digits, radix: 16)
        } else {
            value = text.allSatisfy(\.isASCIIDigit) ? UInt64(text) : nil
        }
        guard let value else {
            throw ValueError("expected a seed like 42 or 0x2a (up to 2^64-1), got \(got(text))")
        }
        return value
    }

    /// A TCP port in `range`: plain digits only, suffixes make no sense for ports.
    public static func port(_ text: Substring, range: ClosedRange<Int>) throws(ValueError) -> Int {
        guard text.count <= 5, text.allSatisfy(\.isASCIIDigit), let port = Int(text), range.contains(port) else {
            throw ValueError("expected a port \(range.lowerBound)-\(range.upperBound), got \(got(text))")
        }
        return port
    }

    /// Plain decimal digits as an Int (selector indices), nil if malformed or too large.
    public static func plainInteger(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int(text)
    }

    // MARK: - Exact decimal scaling

    public struct Parts {
        var whole: Substring
        var fraction: Substring
        var suffix: Substring
        var isZero: Bool { whole.allSatisfy { $0 == "0" } && fraction.allSatisfy { $0 == "0" } }
    }

    public enum Scaled { case value(Int64), tooLarge, inexact }

    /// `1.5KiB` -> ("1", "5", "KiB"); nil unless it starts with a digit and any `.` is followed by one.
    public static func split(_ text: Substring) -> Parts? {
        let wholeEnd = text.firstIndex { !$0.isASCIIDigit } ?? text.endIndex
        guard wholeEnd > text.startIndex else { return nil }
        var fraction = text[wholeEnd..<wholeEnd]
        var rest = text[wholeEnd...]
        if rest.first == "." {
            let digits = rest.dropFirst()
            let end = digits.firstIndex { !$0.isASCIIDigit } ?? digits.endIndex
            guard end > digits.startIndex else { return nil }
            fraction = digits[..<end]
            rest = digits[end...]
        }
        return Parts(whole: text[..<wholeEnd], fraction: fraction, suffix: rest)
    }

    /// whole.fraction * unit, exactly, or why not.
    public static func scale(_ parts: Parts, by unit: Int64) -> Scaled {
        var whole: Int64 = 0
        for digit in parts.whole.utf8 {
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(digit - 48))
            if o1 || o2 { return .tooLarge }
            whole = next
        }
        let (scaledWhole, o3) = whole.multipliedReportingOverflow(by: unit)
        if o3 { return .tooLarge }
        // Trailing zeros carry no value; without them more than 18 digits cannot be exact
        // for any unit we have (the largest is 3.6e12), and 10^18 still fits an Int64.
        var fractionDigits = Substring(parts.fraction)
        while fractionDigits.last == "0" { fractionDigits.removeLast() }
        if fractionDigits.isEmpty { return .value(scaledWhole) }
        if fractionDigits.count > 18 { return .inexact }
        var numerator: Int64 = 0
        var denominator: Int64 = 1
        for digit in fractionDigits.utf8 {
            numerator = numerator * 10 + Int64(digit - 48)
            denominator *= 10
        }
        // numerator/denominator * unit is whole iff (denominator/g) divides numerator, g = gcd(unit, denominator).
        let g = gcd(unit, denominator)
        guard numerator % (denominator / g) == 0 else { return .inexact }
        let fractionValue = numerator / (denominator / g) * (unit / g)
        let (total, o4) = scaledWhole.addingReportingOverflow(fractionValue)
        return o4 ? .tooLarge : .value(total)
    }

    private static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}

extension Character {
    /// Only 0-9: `Character.isNumber` also accepts other scripts' digits, which Int() rejects.
    public var isASCIIDigit: Bool {
        guard let ascii = asciiValue else { return false }
        return ascii >= 0x30 && ascii <= 0x39
    }
}
