// The inputs a content campaign mutates: the seeds, then every input that showed new behaviour.
// An input is picked with a weight that grows with the new behaviour it found and shrinks each
// time it is picked, so fresh finds get the attention. With `--corpus DIR` each input is a file
// (its requests, one stream, cut back into requests with the framing when read), the folder read
// in name order so a campaign started from it is reproducible.

import Foundation
import Framing
import Vocabulary

public struct ContentCorpus: Sendable {
    public struct Entry: Sendable {
        public var input: ContentCase
        /// New classes and transitions it showed when it joined.
        public var found: Int
        public var picked = 0
    }

    public private(set) var entries: [Entry] = []
    private var known: Set<ContentCase> = []

    public init() {}

    public var count: Int { entries.count }

    /// Adds `input` unless it is there already; whether it was added.
    @discardableResult
    public mutating func add(_ input: ContentCase, found: Int) -> Bool {
        guard !input.requests.isEmpty, known.insert(input).inserted else { return false }
        entries.append(Entry(input: input, found: found))
        return true
    }

    /// An entry's index, drawn by weight; the entry counts one more pick.
    public mutating func pick(using random: inout SeededRandom) -> Int {
        let weights = entries.map { ($0.found * 4 + 1) * 64 / (8 + $0.picked) + 1 }
        var draw = random.int(in: 0...(weights.reduce(0, +) - 1))
        var index = 0
        for (i, w) in weights.enumerated() {
            if draw < w { index = i; break }
            draw -= w
        }
        entries[index].picked += 1
        return index
    }

    // MARK: the folder

    /// The inputs in `directory` (files in name order, hidden ones skipped), each cut into
    /// requests with `framing` (a trailing part of a request is a request of its own).
    public static func load(_ directory: String, framing: Framing) throws(FuzzError) -> [ContentCase] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            return []
        }
        var out: [ContentCase] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { continue }
            let split = framing.splitRequests(Array(data))
            var requests = split.requests
            if !split.rest.isEmpty { requests.append(split.rest) }
            out.append(ContentCase(requests))
        }
        return out
    }

    /// Writes `input` into `directory`, named for its bytes (so the same input is one file).
    public static func save(_ input: ContentCase, to directory: String) -> String? {
        let bytes = input.bytes
        var hash: UInt64 = 0xcbf29ce484222325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        let name = "id-" + String(hash, radix: 16)
        let path = (directory as NSString).appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: path) else { return nil }
        return FileManager.default.createFile(atPath: path, contents: Data(bytes)) ? path : nil
    }
}
