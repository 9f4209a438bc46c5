// What `sockfuzz fuzz --json` writes: every campaign's summary and the report's verdict (no
// finding, no internal error, not interrupted). `sockfuzz merge` reads it back and adds shares up.

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

    /// A campaign passed when it found nothing, broke nowhere, and ran to its end: an
    /// interrupted campaign is no pass, whatever it had seen by then.
    public static func passed(_ summary: FuzzSummary) -> Bool {
        summary.finding == nil && summary.internalError == nil && !summary.interrupted && !summary.checkedNothing
    }
}
