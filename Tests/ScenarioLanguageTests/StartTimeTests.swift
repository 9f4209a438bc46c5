// `--start-at` reads RFC 3339 times and epoch seconds to the nanosecond, and names what it takes.

import Testing
import Vocabulary

@Suite("Start times")
struct StartTimeTests {
    static let second: Int64 = 1_000_000_000
    static let cases: [(String, Int64)] = [
        ("1970-01-01T00:00:00Z", 0),
        ("2026-12-01T12:00:00Z", 1_796_126_400 * second),
        ("2026-12-01T13:00:00+01:00", 1_796_126_400 * second),
        ("2026-12-01T12:00:00.25Z", 1_796_126_400 * second + 250_000_000),
        ("2000-02-29T23:59:59-00:30", 951_870_599 * second),
        ("@1764590400.5", 1_764_590_400 * second + 500_000_000),
    ]

    @Test("RFC 3339 and epoch seconds", arguments: cases)
    func parses(_ text: String, _ nanos: Int64) throws {
        #expect(try StartTime(parsing: Substring(text)).epochNanos == nanos)
    }

    @Test("wrong forms are errors", arguments: ["", "now", "2026-13-01T00:00:00Z", "2026-12-01 12:00", "2026-12-01T12:00:00", "@", "@x", "2026-12-01T12:00:00Zjunk"])
    func rejects(_ text: String) {
        #expect(throws: ValueError.self) { try StartTime(parsing: Substring(text)) }
    }
}
