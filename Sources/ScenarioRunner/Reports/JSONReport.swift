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

    public static func render(_ results: [ScenarioResult], version: String) throws -> Data {
        // Every run skipped checked nothing, and `run` exits 2: no pass.
        let document = Document(version: version, passed: results.allSatisfy(\.passed) && !results.allSatisfy { $0.status == .skipped },
                                interrupted: results.contains { $0.status == .interrupted }, runs: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }
}
