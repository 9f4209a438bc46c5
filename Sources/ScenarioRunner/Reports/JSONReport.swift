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
        let document = Document(version: version, passed: results.allSatisfy(\.passed),
                                interrupted: results.contains { $0.status == .interrupted }, runs: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }
}
