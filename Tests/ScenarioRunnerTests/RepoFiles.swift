// Where the repository's scenario files and this target's negative scenarios are.

import Foundation

enum RepoFiles {
    /// The package root, from this file's path (Tests/ScenarioRunnerTests/RepoFiles.swift).
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func scenarios(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".scn") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    static var exampleScenarios: [String] { scenarios(in: root.appendingPathComponent("scenarios")) }
    static var negativeScenarios: [String] {
        scenarios(in: root.appendingPathComponent("Tests/ScenarioRunnerTests/Negative"))
    }

    static func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
