// Robustness property: 100k random and mutated inputs (32k outside the long run) never crash the parser; each gives a
// Program (which must also survive render -> parse) or an error located inside the input.

import Foundation
import Testing
import TestSupport
@testable import ScenarioLanguage

private let inlineCorpus = [
    """
    # a full tour
    seed 42
    set timeout 2s
    set connect-timeout 500ms
    server start epoll port=0 edge limit=100
    connect web 10 rate=500/s timeout=1s
    send web "GET / HTTP/1.0\\r\\n\\r\\n"
    expect web[0] recv "HTTP/1.0 200" within 2s
    expect web match "^HTTP/1\\.[01] \\d+" within 1s
    send web[0..4] hex "48 65 6c 6c 6f"
    send web[1] random 1..8KiB chunks=1..4 gap=0..10ms
    expect web echo within 1s
    repeat 3 {
        connect extra 2
        pause extra[1]
        resume extra
    }
    expect extra[5] open
    halfclose web[9]
    expect web[9] eof within 500ms
    reset web[3]
    expect server resets >= 1 within 1s
    load web size=64 depth=4 duration=10s warmup=1s
    expect web p99 < 5ms
    expect * connected == 10
    close *
    server stats
    server mode select
    server stop
    """,
    """
    target [::1]:8080
    connect db 2M
    include lib/common.scn
    send db file "payload.bin"
    expect db refused
    fuzz runs=100 connections=8 duration=30s seed=0x2a
    print "done \\x41\\0"
    sleep 1.5s
    """,
    "repeat 2 {\n  repeat 3 {\n    connect a 1\n  }\n}\nclose a[5]\n",
]

/// Words and fragments mutations splice in, biased toward things the grammar cares about.
private let fragments = [
    "send", "expect", "connect", "repeat", "}", "{", "include", "server", "start", "epoll", "web", "web[", "]",
    "[0..", "..", "*", "\"", "\\", "\\x", "#", "=", "rate=", "/s", "within", "1..", "0x", "9999999999999999999",
    "-1", "1.5", "ms", "KiB", "k", "p99", "<", "==", "hex", "random", "file", "match", "(", "\t", " ", "\n",
    "\r\n", "é", "\u{301}", "🙂", "\u{0}", "[::1]:", ":", "edge", "server start select edge", "lib/common.scn",
    "fuzz.scn", "include fuzz.scn", "repeat 9G {", "connect web 9G",
]

private let includable = [
    "lib/common.scn": "connect common 3\nsleep 1ms\n", "common/setup.scn": "connect setup 1\n", "bad.scn": "sleep\n",
]

/// Every `*.scn` under the repository's `scenarios/` directory (none is fine).
private func repoScenarios() -> [URL] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    guard let files = FileManager.default.enumerator(at: root.appendingPathComponent("scenarios"), includingPropertiesForKeys: nil)
    else { return [] }
    return files.compactMap { $0 as? URL }.filter { $0.pathExtension == "scn" }
}

private func corpus() -> [String] {
    inlineCorpus + CommandTable.all.map { "connect web 10\n" + $0.example }
        + repoScenarios().compactMap { try? String(contentsOf: $0, encoding: .utf8) }
}

private func mutate(_ source: String, _ rng: inout SplitMix64, _ corpus: [String]) -> String {
    var scalars = Array(source.unicodeScalars)
    // Mostly one mutation, so errors also come from deep inside otherwise valid programs.
    for _ in 0..<(rng.chance(50) ? 1 : rng.int(2...4)) {
        let at = rng.int(0...scalars.count)
        switch rng.int(0...7) {
        case 0 where !scalars.isEmpty:  // delete a span
            let end = min(scalars.count, at + rng.int(1...8))
            scalars.removeSubrange(min(at, end)..<end)
        case 1:  // insert a fragment
            scalars.insert(contentsOf: rng.pick(fragments).unicodeScalars, at: at)
        case 2 where at < scalars.count:  // replace one scalar
            scalars[at] = rng.pick(Array("\"\\[].{}#=/0129 \nkMs*".unicodeScalars))
        case 3:  // splice in a span from another program
            let other = Array(rng.pick(corpus).unicodeScalars)
            guard !other.isEmpty else { continue }
            let start = rng.int(0...(other.count - 1))
            scalars.insert(contentsOf: other[start..<min(other.count, start + rng.int(1...60))], at: at)
        case 4:  // duplicate or drop a line
            var lines = String(String.UnicodeScalarView(scalars)).components(separatedBy: "\n")
            let i = rng.int(0...(lines.count - 1))
            if rng.chance(50) { lines.insert(lines[i], at: i) } else { lines.remove(at: i) }
            scalars = Array(lines.joined(separator: "\n").unicodeScalars)
        case 5:  // truncate
            scalars.removeSubrange(at...)
        case 6:  // random scalar, any plane
            scalars.insert(Unicode.Scalar(UInt32(rng.int(0...0x2FFF))) ?? "?", at: at)
        default:  // swap two lines
            var lines = String(String.UnicodeScalarView(scalars)).components(separatedBy: "\n")
            let (i, j) = (rng.int(0...(lines.count - 1)), rng.int(0...(lines.count - 1)))
            lines.swapAt(i, j)
            scalars = Array(lines.joined(separator: "\n").unicodeScalars)
        }
    }
    return String(String.UnicodeScalarView(scalars))
}

/// A random input from scratch: fragments and scalars glued together.
private func noise(_ rng: inout SplitMix64) -> String {
    (0..<rng.int(0...20)).map { _ in
        rng.chance(80) ? rng.pick(fragments) + (rng.chance(50) ? " " : "") : String(Unicode.Scalar(UInt8(rng.int(0...127))))
    }.joined()
}

/// Nil when the outcome is acceptable, otherwise why not (also used by MutatedScenarioTests).
func violation(for input: String) -> String? {
    let files = includable.merging(["fuzz.scn": input]) { a, _ in a }
    let loader: (String) throws -> String = { path in
        guard let text = files[path] else { throw MissingFile() }
        return text
    }
    do {
        let program = try ScenarioParser.parse(source: input, file: "fuzz.scn", loader: loader)
        let text = program.rendered
        let again = try ScenarioParser.parse(source: text, file: "fuzz.scn", loader: loader)
        return withoutLocations(again.statements) == withoutLocations(program.statements) ? nil : "round trip changed:\n\(text)"
    } catch {
        // Errors are located in the input, or in the included file they come from.
        guard let source = files[error.location.file] else { return "error in unknown file: \(error)" }
        let lines = Lexer.lines(of: source)
        let line = error.location.line
        guard (1...lines.count).contains(line) else { return "line outside the input: \(error)" }
        let width = lines[line - 1].unicodeScalars.count
        guard (1...(width + 1)).contains(error.location.column) else { return "column outside the line: \(error)" }
        return error.message.isEmpty ? "empty message" : nil
    }
}

@Suite("Fuzz", .sharesDescriptorTable)
struct FuzzTests {
    /// 4 shards x 25k = 100k inputs in the long run (SOCKFUZZ_LONG=1), 4 x 8k here; shards
    /// run in parallel.
    static let inputsPerShard = LongRun.enabled ? 25_000 : 8_000

    @Test("random and mutated inputs give a program or a located error", arguments: 0..<4)
    func neverCrashes(shard: UInt64) {
        let corpus = corpus()
        var rng = SplitMix64(seed: 0x5EED + shard)
        var failures = 0
        for i in 0..<Self.inputsPerShard {
            let input = i % 5 == 0 ? noise(&rng) : mutate(rng.pick(corpus), &rng, corpus)
            if let problem = violation(for: input) {
                failures += 1
                if failures <= 5 { Issue.record("input \(String(reflecting: input)): \(problem)") }
            }
        }
        #expect(failures == 0)
    }

    @Test("every inline corpus program and command example parses")
    func inlineCorpusIsValid() {
        for source in inlineCorpus + CommandTable.all.map({ ($0.name == "segment" ? "" : "connect web 10\n") + $0.example }) {
            #expect(violation(for: source) == nil)
            #expect(throws: Never.self) {
                try ScenarioParser.parse(source: source, file: "fuzz.scn") { path in
                    guard let text = includable[path] else { throw MissingFile() }
                    return text
                }
            }
        }
    }

    @Test("every scenario file in the repository parses, includes and all")
    func repoScenariosAreValid() {
        for url in repoScenarios() {
            #expect(throws: Never.self, "\(url.path)") { try ScenarioParser.parseFile(url.path) }
        }
    }
}
