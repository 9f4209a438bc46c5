// The JSON report: every figure of every run, for machines.

import Foundation

public enum JSONReport {
    public struct Document: Codable, Sendable {
        public var tool = "sockfuzz"
        public var version: String
        public var passed: Bool
        public var interrupted: Bool
        public var runs: [ScenarioResult]
    }

    /// The report's verdict: every run passed (or was skipped), and not every run was skipped,
    /// which checked nothing (`run` exits 2). Merge recomputes a share's verdict with this.
    public static func passed(_ results: [ScenarioResult]) -> Bool {
        results.allSatisfy(\.passed) && !results.allSatisfy { $0.status == .skipped }
    }

    public static func render(_ results: [ScenarioResult], version: String) throws -> Data {
        let document = Document(version: version, passed: passed(results),
                                interrupted: results.contains { $0.status == .interrupted }, runs: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }
}
