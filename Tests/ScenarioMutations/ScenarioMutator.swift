// Mutated scenario files for property tests: the repository's examples and the command table's
// examples, changed by seeded token, number, line and byte mutations. File `i` of a seed is the
// same bytes on every run and in every test target, so a failure names `seed` and `i` and replays.

import ClientEngine
import Foundation
import ScenarioLanguage
import Vocabulary

public struct MutatedScenario: Sendable {
    /// Position in the generated sequence (with the seed, enough to regenerate it).
    public var index: Int
    /// Which corpus entry it was made from.
    public var base: Int
    /// The file as written to disk: not necessarily UTF-8.
    public var bytes: [UInt8]
    /// What was done to the base, in order (for the failure message).
    public var mutations: [String]

    /// The bytes as text, invalid UTF-8 shown as U+FFFD (what a reader of the report sees).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes as Swift source would write them, so a failing file can be pasted into a test.
    public var literal: String { String(reflecting: text) + (isUTF8 ? "" : " (not UTF-8; bytes: \(hex))") }

    public var isUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    private var hex: String { bytes.map { String(format: "%02x", $0) }.joined(separator: " ") }
}

public struct ScenarioMutator: Sendable {
    public let seed: UInt64
    public let corpus: [String]

    public init(seed: UInt64, corpus: [String] = ScenarioMutator.corpus()) {
        self.seed = seed
        self.corpus = corpus
    }

    /// File `index`: drawn from its own stream, so it does not depend on the files before it.
    public func file(_ index: Int) -> MutatedScenario {
        var rng = SeededRandom(seed: seed).derived(UInt64(index))
        let base = rng.int(in: 0...(corpus.count - 1))
        var lines = Lexer.lines(of: corpus[base]).map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
        var done: [String] = []
        var strays: [(at: Double, bytes: [UInt8])] = []
        for _ in 0..<rng.int(in: 1...3) {
            let kind = rng.int(in: 0...9)
            switch kind {
            case 0...3: done.append(mutateNumber(&lines, &rng))
            case 4...6: done.append(mutateToken(&lines, &rng))
            case 7: done.append(mutateLine(&lines, &rng))
            default:
                let stray = rng.pick(Self.strayBytes)
                strays.append((Double(rng.int(in: 0...1000)) / 1000, stray))
                done.append("stray bytes \(stray)")
            }
        }
        var bytes = Array(lines.map { $0.joined(separator: " ") }.joined(separator: "\n").utf8)
        for stray in strays {
            bytes.insert(contentsOf: stray.bytes, at: Int(Double(bytes.count) * stray.at))
        }
        return MutatedScenario(index: index, base: base, bytes: bytes, mutations: done)
    }

    // MARK: Mutations

    /// Values that break naive arithmetic: zero, one, the edges of 64 bits, beyond them, huge
    /// floats, a sign, and count suffixes that multiply into the billions.
    public static let specialNumbers = [
        "0", "1", "9223372036854775808", "9223372036854775807", "18446744073709551616", "1e300", "-1", "10M", "1G",
    ]
    /// Whole values put in place of a word or of what follows `=`: rates so slow that their
    /// interval does not fit any integer type.
    public static let specialValues = ["1/10000h", "1/2562047h", "0..99", "5000/s", "4KiB", "5s", "200"]

    static let strayBytes: [[UInt8]] = [
        [0xFF], [0x00], [0x09], [0x22], [0x7B], [0x7D], [0xC3], [0xE2, 0x82], [0x0D], [0x5C], [0x23], [0xFE, 0xFF],
    ]

    /// Replaces one number inside a word (keeping its unit, range dots or rate slash), or the
    /// whole word or its `=` value by a special value.
    private func mutateNumber(_ lines: inout [[String]], _ rng: inout SeededRandom) -> String {
        var numeric: [(line: Int, word: Int)] = []
        for (l, words) in lines.enumerated() {
            for (w, word) in words.enumerated() where word.contains(where: \.isNumber) && !word.hasPrefix("\"") {
                numeric.append((l, w))
            }
        }
        guard !numeric.isEmpty else { return mutateToken(&lines, &rng) }
        let (l, w) = rng.pick(numeric)
        let word = lines[l][w]
        let replaced: String
        if rng.chance(20) {
            let value = rng.pick(Self.specialValues)
            if let eq = word.firstIndex(of: "=") {
                replaced = String(word[...eq]) + value
            } else {
                replaced = value
            }
        } else {
            let runs = Self.digitRuns(word)
            let run = rng.pick(runs)
            replaced = word.replacingCharacters(in: run, with: rng.pick(Self.specialNumbers))
        }
        lines[l][w] = replaced
        return "line \(l + 1): \(word) -> \(replaced)"
    }

    /// Maximal runs of digits and decimal points in `word`.
    public static func digitRuns(_ word: String) -> [Range<String.Index>] {
        var runs: [Range<String.Index>] = []
        var i = word.startIndex
        while i < word.endIndex {
            guard word[i].isNumber else { i = word.index(after: i); continue }
            var end = word.index(after: i)
            while end < word.endIndex && (word[end].isNumber || word[end] == "." && word[word.index(after: end)...].first?.isNumber == true) {
                end = word.index(after: end)
            }
            runs.append(i..<end)
            i = end
        }
        return runs
    }

    /// Deletes, duplicates or swaps a word with its neighbour, or replaces it by a word of another line.
    private func mutateToken(_ lines: inout [[String]], _ rng: inout SeededRandom) -> String {
        let nonEmpty = lines.indices.filter { !lines[$0].joined().isEmpty }
        guard !nonEmpty.isEmpty else { return mutateLine(&lines, &rng) }
        let l = rng.pick(nonEmpty)
        let w = rng.int(in: 0...(lines[l].count - 1))
        let word = lines[l][w]
        switch rng.int(in: 0...3) {
        case 0:
            lines[l].remove(at: w)
            return "line \(l + 1): deleted \(word)"
        case 1:
            lines[l].insert(word, at: w)
            return "line \(l + 1): duplicated \(word)"
        case 2 where lines[l].count > 1:
            let other = w + 1 < lines[l].count ? w + 1 : w - 1
            lines[l].swapAt(w, other)
            return "line \(l + 1): swapped \(word) and \(lines[l][w])"
        default:
            // Another line of this file, or of any corpus file.
            var donor = rng.pick(lines)
            if rng.chance(50) {
                let other = Lexer.lines(of: rng.pick(corpus))
                donor = rng.pick(other).split(separator: " ").map(String.init)
            }
            guard let replacement = donor.isEmpty ? nil : rng.pick(donor) else { return "line \(l + 1): no donor word" }
            lines[l][w] = replacement
            return "line \(l + 1): \(word) -> \(replacement)"
        }
    }

    /// Duplicates or drops a whole line.
    private func mutateLine(_ lines: inout [[String]], _ rng: inout SeededRandom) -> String {
        let l = rng.int(in: 0...(lines.count - 1))
        if rng.chance(50) || lines.count == 1 {
            lines.insert(lines[l], at: l)
            return "duplicated line \(l + 1)"
        }
        lines.remove(at: l)
        return "dropped line \(l + 1)"
    }

    // MARK: Corpus

    /// The package root, from this file's place in `Tests/ScenarioMutations/`.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every `scenarios/*.scn`, sorted by name (the order must not depend on the file system),
    /// without its comment lines: a mutation spent on prose tests nothing.
    public static func repoScenarios() -> [String] {
        let dir = packageRoot.appendingPathComponent("scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".scn") }.sorted()
            .compactMap { try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
            .map { Lexer.lines(of: $0).filter { !$0.hasPrefix("#") }.joined(separator: "\n") }
    }

    /// The repository's scenarios, the same with waits and sizes scaled down (so mutants of them
    /// can be run in seconds), and each command-table example after a `connect` of the group it uses.
    public static func corpus() -> [String] {
        let scenarios = repoScenarios()
        return scenarios + scenarios.map(tamed) + CommandTable.all.map { "connect web 10\n" + $0.example }
    }

    /// `source` with expects waiting 1 s by default, every duration of whole seconds set to 1s and
    /// MiB sizes to 64KiB: the same commands, a fraction of the time.
    static func tamed(_ source: String) -> String {
        "set timeout 1s\n" + Lexer.lines(of: source).map { line in
            line.split(separator: " ", omittingEmptySubsequences: false).map { word in
                word.replacingOccurrences(of: #"^(timeout=)?[0-9]+s$"#, with: "$11s", options: .regularExpression)
                    .replacingOccurrences(of: #"[0-9]+MiB$"#, with: "64KiB", options: .regularExpression)
            }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}

extension SeededRandom {
    mutating func chance(_ percent: Int) -> Bool { int(in: 0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(in: 0...(items.count - 1))] }
}
