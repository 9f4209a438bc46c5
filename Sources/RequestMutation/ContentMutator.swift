// Mutants of a request that know its framing: a length made to lie, a header repeated a
// thousand times, an argument with CR LF inside, a count at the edge of 64 bits. Each mutant
// parses the request into fields (Framing.parseRequest), applies one to four field mutations
// in turn (re-parsing between them), and falls back to AFL-style byte havoc where the bytes
// no longer parse, and now and then anyway. Every choice comes from the SeededRandom passed
// in, so one campaign seed replays every mutant.

import Framing
import Vocabulary

public struct Mutant: Sendable, Equatable {
    public var bytes: [UInt8]
    /// What was done, in order, in words a finding's header can show.
    public var operations: [String]

    public init(bytes: [UInt8], operations: [String]) {
        self.bytes = bytes
        self.operations = operations
    }
}

public struct ContentMutator: Sendable {
    public let framing: Framing
    /// Requests to splice fields from: the seeds, then what joined the pool.
    public private(set) var pool: [[UInt8]]
    /// Tokens to insert: the dictionary's, then those learned, in order of arrival.
    public private(set) var tokens: [[UInt8]]
    private var known: Set<[UInt8]>

    /// The most a mutant may grow past its request: one long value.
    public static let maxGrowth = (1 << 20) + 4096
    /// Learned tokens past this are not kept: a chatty server must not grow the dictionary
    /// without bound.
    public static let maxTokens = 4096

    public init(framing: Framing, seeds: [[UInt8]], dictionary: [[UInt8]] = []) {
        self.framing = framing
        pool = seeds
        tokens = []
        known = []
        for token in InterestingValues.syntaxTokens(framing) + dictionary { add(token) }
        for seed in seeds { learn(from: seed) }
    }

    /// Tokens learned from a server's reply (words, numbers, header names, error prefixes).
    public mutating func learnTokens(fromReply reply: [UInt8]) { learn(from: reply) }

    /// A request that produced new behaviour: a source for splicing from now on.
    public mutating func addToPool(_ request: [UInt8]) {
        pool.append(request)
        learn(from: request)
    }

    /// One mutant of `request`: 1 to 4 stacked mutations; every choice from `random` only.
    public func mutate(_ request: [UInt8], using random: inout SeededRandom) -> Mutant {
        var bytes = request
        var operations: [String] = []
        // Mostly one change, so that a mutant keeps the rest of its request well formed and
        // reaches the code behind the parser; sometimes up to four, for bugs that need two.
        let roll = random.int(in: 0...99)
        let stack = roll < 70 ? 1 : roll < 90 ? 2 : roll < 97 ? 3 : 4
        for _ in 0..<stack {
            var candidate = bytes
            let described: String?
            if random.int(in: 0...9) > 0, var fields = parsed(bytes) {
                var editor = FieldEditor(fields: fields, mutator: self)
                described = editor.mutate(using: &random)
                fields = editor.fields
                candidate = fields.rendered()
            } else {
                described = ByteHavoc.mutate(&candidate, pool: pool, using: &random)
            }
            // A mutation that would grow the request past one long value is left out.
            guard let described, candidate != bytes, candidate.count <= request.count + Self.maxGrowth else { continue }
            bytes = candidate
            operations.append(described)
        }
        if operations.isEmpty {
            let described = ByteHavoc.mutate(&bytes, pool: pool, using: &random)
            operations.append(described)
        }
        return Mutant(bytes: bytes, operations: operations)
    }

    /// Simpler variants of a failing request, simplest first, for shrinking inside it while the
    /// failure persists: drop units, fewer repeats, shorter values, shorter integers.
    public func simplifications(of request: [UInt8]) -> [[UInt8]] {
        Simplifier.candidates(of: request, parsed: parsed(request))
    }

    /// `bytes` as fields; bytes after the one whole request are kept as a last field, so the
    /// fields still render to `bytes`. nil when no request parses at the front.
    func parsed(_ bytes: [UInt8]) -> RequestFields? {
        guard let (fields, length) = framing.parseRequest(bytes[...]) else { return nil }
        guard length < bytes.count else { return fields }
        var whole = fields
        whole.fields.append(RequestField(.value, "bytes after the request", Array(bytes[length...])))
        return whole
    }

    private mutating func learn(from bytes: [UInt8]) {
        for word in TokenDictionary.words(in: bytes) where tokens.count < Self.maxTokens { add(word) }
    }

    private mutating func add(_ token: [UInt8]) {
        guard !token.isEmpty, known.insert(token).inserted else { return }
        tokens.append(token)
    }
}
