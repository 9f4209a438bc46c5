// What `sockfuzz fuzz --json` writes: every campaign's summary and the report's verdict (no
// finding and no internal error). `sockfuzz merge` reads it back and adds shares up.

public struct FuzzReportDocument: Sendable, Codable {
    public var tool = "sockfuzz"
    public var version: String
    public var passed: Bool
    public var fuzz: [FuzzSummary]

    public init(version: String, passed: Bool, fuzz: [FuzzSummary]) {
        self.version = version
        self.passed = passed
        self.fuzz = fuzz
    }
}
