// `--start-at TIME`: a wall-clock instant shared by every segment of a test, so n processes on
// n hosts start together without talking to each other. RFC 3339 (`2026-12-01T12:00:00Z`,
// offsets and fractions allowed) or seconds since the epoch (`@1764590400.5`).

public struct StartTime: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch (UTC).
    public var epochNanos: Int64

    public init(epochNanos: Int64) { self.epochNanos = epochNanos }

    public init(parsing text: Substring) throws(ValueError) {
        if text.hasPrefix("@") {
            guard let parts = ValueParser.split(text.dropFirst()), parts.suffix.isEmpty,
                  case .value(let ns) = ValueParser.scale(parts, by: 1_000_000_000) else {
                throw ValueError("expected seconds since the epoch after '@', like @1764590400, got \(ValueParser.got(text))")
            }
            epochNanos = ns
            return
        }
        guard let nanos = Self.rfc3339(text) else {
            throw ValueError("expected a time like 2026-12-01T12:00:00Z or @1764590400 (seconds since the epoch), got \(ValueParser.got(text))")
        }
        epochNanos = nanos
    }

    public var description: String { "@\(epochNanos / 1_000_000_000)" + (epochNanos % 1_000_000_000 == 0 ? "" : ".\(String(format9(epochNanos % 1_000_000_000)))") }

    private func format9(_ n: Int64) -> String {
        let digits = String(n)
        var s = String(repeating: "0", count: 9 - digits.count) + digits
        while s.last == "0" { s.removeLast() }
        return s
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    static func rfc3339(_ text: Substring) -> Int64? {
        let u = Array(text.utf8)
        func num(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= u.count else { return nil }
            var v = 0
            for i in range {
                guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }
                v = v * 10 + Int(u[i] - 0x30)
            }
            return v
        }
        guard u.count >= 20, u[4] == 0x2d, u[7] == 0x2d, u[10] == 0x54 || u[10] == 0x74 || u[10] == 0x20,
              u[13] == 0x3a, u[16] == 0x3a,
              let year = num(0..<4), let month = num(5..<7), let day = num(8..<10),
              let hour = num(11..<13), let minute = num(14..<16), let second = num(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if i < u.count && u[i] == 0x2e {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 {
                if digits < 9 { fraction = fraction * 10 + Int64(u[i] - 0x30); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetSeconds = 0
        if u[i] == 0x5a || u[i] == 0x7a {
            i += 1
        } else if u[i] == 0x2b || u[i] == 0x2d, let oh = num((i + 1)..<(i + 3)), i + 3 < u.count, u[i + 3] == 0x3a,
                  let om = num((i + 4)..<(i + 6)) {
            offsetSeconds = (oh * 3600 + om * 60) * (u[i] == 0x2d ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000_000 + fraction
    }
}
