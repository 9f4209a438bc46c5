// What `sockfuzz merge` was given: the shares' JSON results told apart by what they decode as
// (`load`, `fuzz` or `run --json`), all of one kind.

import Foundation
import Fuzzing
import Load
import ScenarioRunner

public enum ShareDocuments {
    case load([(file: String, record: LoadRecord)])
    /// Each report's own verdict comes along, to be checked against its campaigns.
    case fuzz([(file: String, passed: Bool, summaries: [FuzzSummary])])
    case run([(file: String, document: JSONReport.Document)])

    /// Throws, naming the file, when one is none of the three, or when the kinds are mixed.
    public static func decode(_ files: [(file: String, data: Data)]) throws -> ShareDocuments {
        var records: [(file: String, record: LoadRecord)] = []
        var fuzzReports: [(file: String, passed: Bool, summaries: [FuzzSummary])] = []
        var runReports: [(file: String, document: JSONReport.Document)] = []
        let decoder = JSONDecoder()
        for (file, data) in files {
            if let record = try? decoder.decode(LoadRecord.self, from: data) {
                records.append((file, record))
            } else if let report = try? decoder.decode(FuzzReportDocument.self, from: data) {
                fuzzReports.append((file, report.passed, report.fuzz))
            } else if let report = try? decoder.decode(JSONReport.Document.self, from: data) {
                runReports.append((file, report))
            } else {
                throw MergeError("\(file) is not a result of `sockfuzz load --json`, `sockfuzz fuzz --json` or `sockfuzz run --json`")
            }
        }
        if [!records.isEmpty, !fuzzReports.isEmpty, !runReports.isEmpty].filter({ $0 }).count > 1 {
            throw MergeError("load results, fuzz reports and run reports cannot be merged together")
        }
        if !fuzzReports.isEmpty { return .fuzz(fuzzReports) }
        if !runReports.isEmpty { return .run(runReports) }
        return .load(records)
    }
}
