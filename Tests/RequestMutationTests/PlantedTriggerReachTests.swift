// Before any campaign runs: from the ordinary seed requests beside each planted-bug server
// (Tests/Fixtures/planted/*_reqs.txt), the mutator alone produces a request that meets each
// bug's own trigger condition, within a bounded number of mutants. This is what makes the
// campaign able to find them; the campaign's own proof runs the servers.

import Foundation
import Framing
import RequestMutation
import ScenarioLanguage
import Testing
import TestSupport
import Vocabulary

@Suite("The mutator reaches every planted bug's trigger from ordinary seeds", .sharesDescriptorTable)
struct PlantedTriggerReachTests {
    struct Bug: CustomStringConvertible, Sendable {
        var name: String
        var seeds: String
        var framing: Framing
        var triggers: @Sendable ([UInt8]) -> Bool
        var description: String { name }
    }

    static let planted = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/planted").standardizedFileURL

    static let bugs: [Bug] = [
        Bug(name: "resp negative-bulk", seeds: "resp_reqs.txt", framing: .resp()) { bytes in
            text(bytes).range(of: #"\$-([2-9]|[0-9]{2,})\r\n"#, options: .regularExpression) != nil
        },
        Bug(name: "resp nul-hang", seeds: "resp_reqs.txt", framing: .resp()) { bytes in
            arguments(bytes).contains { $0.contains(0) }
        },
        Bug(name: "resp crlf-reply", seeds: "resp_reqs.txt", framing: .resp()) { bytes in
            let a = arguments(bytes)
            return a.count == 2 && text(a[0]).uppercased() == "ECHO" && a[1].contains(0x0d)
        },
        Bug(name: "resp odd-mset", seeds: "resp_reqs.txt", framing: .resp()) { bytes in
            let a = arguments(bytes)
            return a.count >= 2 && text(a[0]).uppercased() == "MSET" && (a.count - 1) % 2 == 1
        },
        Bug(name: "resp empty-echo", seeds: "resp_reqs.txt", framing: .resp()) { bytes in
            let a = arguments(bytes)
            return a.count == 2 && text(a[0]).uppercased() == "ECHO" && a[1].isEmpty
        },
        Bug(name: "http chunk-extension", seeds: "http_reqs.txt", framing: .http1()) { bytes in
            let t = text(bytes)
            guard t.contains("Transfer-Encoding: chunked"), let head = t.range(of: "\r\n\r\n") else { return false }
            return t[head.upperBound...].prefix { $0 != "\r" && $0 != "\n" }.contains(";")
        },
        Bug(name: "http no-colon", seeds: "http_reqs.txt", framing: .http1()) { bytes in
            let t = text(bytes)
            guard let head = t.range(of: "\r\n\r\n") else { return false }
            return t[..<head.lowerBound].components(separatedBy: "\r\n").dropFirst().contains { !$0.contains(":") }
        },
        Bug(name: "http header-case", seeds: "http_reqs.txt", framing: .http1()) { bytes in
            let t = text(bytes)
            guard let head = t.range(of: "\r\n\r\n") else { return false }
            return t[..<head.lowerBound].components(separatedBy: "\r\n").contains {
                $0.lowercased().hasPrefix("content-length:") && !$0.hasPrefix("Content-Length:")
            } && t.distance(from: head.upperBound, to: t.endIndex) > 0
        },
        Bug(name: "line int64", seeds: "line_reqs.txt", framing: .line()) { bytes in
            guard bytes.count < 256 else { return false }
            // Bytes, not Characters: "\r\n" is one Character in Swift.
            let words = bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x0d || $0 == 0x0a }).map { text(Array($0)) }
            return words.count == 3 && words[0].uppercased() == "INCRBY" && words[2].allSatisfy { $0.isNumber || $0 == "-" }
                && Int64(words[2]) == nil && words[2].contains(where: \.isNumber)
        },
        Bug(name: "length prefix-overrun", seeds: "length_reqs.txt", framing: .length(LengthPrefix(width: 4))) { bytes in
            guard bytes.count >= 4 else { return false }
            let stated = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            return stated > bytes.count - 4 && stated <= 1 << 20
        },
    ]

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A RESP request's arguments, as the planted server reads them (nil parse: none).
    static func arguments(_ bytes: [UInt8]) -> [[UInt8]] {
        guard let (fields, _) = Framing.resp().parseRequest(bytes[...]) else { return [] }
        return fields.fields.filter { $0.kind == .token || $0.kind == .value }.map(\.bytes)
    }

    /// How many mutants of the seeds (each drawn from the seeds, or now and then from an
    /// earlier mutant) until one triggers `bug`; nil past `limit`.
    static func mutantsUntilTriggered(_ bug: Bug, seed: UInt64, limit: Int) throws -> Int? {
        let file = try String(contentsOf: planted.appendingPathComponent(bug.seeds), encoding: .utf8)
        let seeds = try RequestFile.parse(file).requests
        let mutator = ContentMutator(framing: bug.framing, seeds: seeds)
        var random = SeededRandom(seed: seed)
        var previous = seeds[0]
        for n in 1...limit {
            let parent = random.int(in: 0...3) == 0 ? previous : seeds[random.int(in: 0...(seeds.count - 1))]
            let mutant = mutator.mutate(parent, using: &random)
            if bug.triggers(mutant.bytes) { return n }
            if mutant.bytes.count < 4096 { previous = mutant.bytes }
        }
        return nil
    }

    @Test("each trigger within 5,000 mutants, for seeds 1, 2 and 3", arguments: bugs)
    func reached(_ bug: Bug) throws {
        var counts: [Int] = []
        for seed in UInt64(1)...3 {
            let n = try Self.mutantsUntilTriggered(bug, seed: seed, limit: 5_000)
            try #require(n != nil, "\(bug.name): not reached in 5,000 mutants with seed \(seed)")
            counts.append(n!)
        }
        print("\(bug.name): reached after \(counts.map(String.init).joined(separator: ", ")) mutants (seeds 1, 2, 3)")
    }
}
