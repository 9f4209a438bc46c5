// Helpers shared by the ScenarioLanguage tests: parse shortcuts that report errors as
// `line:column: message`, and a tiny seeded PRNG so property tests are reproducible.

import Testing
@testable import ScenarioLanguage

/// Parses `source` as `test.scn`; includes come from `files` (resolved path -> text).
func parse(_ source: String, files: [String: String] = [:]) throws(ScenarioError) -> Program {
    try ScenarioParser.parse(source: source, file: "test.scn") { path in
        guard let text = files[path] else { throw MissingFile() }
        return text
    }
}

struct MissingFile: Error {}

/// The commands of `source`, parsed after `connect web 10` so selectors on `web` are valid.
/// Records an issue and returns [] if parsing fails.
func commands(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Command] {
    do {
        return try parse("connect web 10\n" + source).statements.dropFirst().map(\.command)
    } catch {
        Issue.record("unexpected error: \(error)", sourceLocation: sourceLocation)
        return []
    }
}

/// The single command of a one-line `source` (after the implicit `connect web 10`).
func command(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Command? {
    let all = commands(source, sourceLocation: sourceLocation)
    #expect(all.count == 1, "expected one command from \(source)", sourceLocation: sourceLocation)
    return all.first
}

/// The error `source` produces as `line:column: message` (file name dropped), or nil if it parses.
func failure(_ source: String, files: [String: String] = [:]) -> String? {
    do {
        _ = try parse(source, files: files)
        return nil
    } catch {
        return "\(error.location.line):\(error.location.column): \(error.message)"
    }
}

/// SplitMix64: tiny, fast, good enough for test data, identical on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}
