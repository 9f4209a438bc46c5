// What the mutator does to a request's fields, pinned by looking for the mutant that did one
// named thing and checking its bytes; that a seed replays every mutant, across processes; and
// that no mutant grows past one long value.

import Framing
import RequestMutation
import Testing
import Vocabulary

@Suite("Field-aware mutation")
struct MutatorTests {
    static let setRequest = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8)
    static let httpRequest = Array("GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n".utf8)

    /// The first mutant, among up to `tries` seeds, that did exactly `operation` alone.
    func mutant(_ mutator: ContentMutator, of request: [UInt8], doing operation: String, tries: Int = 20_000) -> [UInt8]? {
        for seed in 0..<UInt64(tries) {
            var random = SeededRandom(seed: seed)
            let m = mutator.mutate(request, using: &random)
            if m.operations == [operation] { return m.bytes }
        }
        return nil
    }

    @Test("a RESP bulk length set to -2 renders as $-2, its payload untouched")
    func respEdgeLength() throws {
        let mutator = ContentMutator(framing: .resp(), seeds: [Self.setRequest])
        let bytes = try #require(mutant(mutator, of: Self.setRequest, doing: "bulk 2 length 1 -> -2"))
        #expect(bytes == Array("*3\r\n$3\r\nSET\r\n$-2\r\nk\r\n$1\r\nv\r\n".utf8))
    }

    @Test("a removed header leaves the rest of the request byte-identical")
    func removedHeader() throws {
        let mutator = ContentMutator(framing: .http1(), seeds: [Self.httpRequest])
        let bytes = try #require(mutant(mutator, of: Self.httpRequest, doing: "header Accept removed"))
        #expect(bytes == Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
    }

    @Test("a repeated RESP argument may keep the array count true")
    func repeatedArgumentRecounted() throws {
        let mutator = ContentMutator(framing: .resp(), seeds: [Self.setRequest])
        let bytes = try #require(mutant(mutator, of: Self.setRequest, doing: "bulk 3 repeated 2 times, array count set to 4"))
        #expect(bytes == Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nv\r\n".utf8))
    }

    @Test("a long value keeps its length true unless the mutant says otherwise")
    func longValue() throws {
        let mutator = ContentMutator(framing: .resp(), seeds: [Self.setRequest])
        let kept = try #require(mutant(mutator, of: Self.setRequest, doing: "bulk 3 made 1024 bytes long"))
        #expect(kept == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1024\r\n".utf8) + kept.suffix(1026))
        #expect(Framing.resp().parseRequest(kept[...])?.length == kept.count)
        let lying = try #require(mutant(mutator, of: Self.setRequest, doing: "bulk 3 made 1024 bytes long (its length left as it was)"))
        #expect(lying.starts(with: Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n".utf8)))
    }

    @Test("a chunk size pushed to a 64-bit edge is written in hex")
    func chunkEdge() throws {
        let chunked = Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        let mutator = ContentMutator(framing: .http1(), seeds: [chunked])
        let bytes = try #require(mutant(mutator, of: chunked, doing: "chunk 1 size 3 -> ffffffffffffffff"))
        #expect(bytes == Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n".utf8))
    }

    @Test("a dictionary token replaces or joins a field")
    func dictionaryToken() throws {
        let mutator = ContentMutator(framing: .line(), seeds: [Array("GET k\n".utf8)], dictionary: [Array("FLUSHALL".utf8)])
        #expect(mutator.tokens.first == Array("FLUSHALL".utf8))
        let bytes = try #require(mutant(mutator, of: Array("GET k\n".utf8), doing: "word 1 \"GET\" -> \"FLUSHALL\" (token)"))
        #expect(bytes == Array("FLUSHALL k\n".utf8))
    }

    @Test("bytes that do not parse still mutate, byte by byte")
    func havocFallback() {
        let mutator = ContentMutator(framing: .resp(), seeds: [])
        var random = SeededRandom(seed: 3)
        let garbage: [UInt8] = [0x2a, 0x2a, 0x2a]
        var changed = 0
        for _ in 0..<100 where mutator.mutate(garbage, using: &random).bytes != garbage { changed += 1 }
        #expect(changed > 90)
    }

    @Test("one seed gives the same mutants, in this process and in any other (a golden hash)")
    func deterministic() {
        var mutator = ContentMutator(framing: .http1(), seeds: [Self.httpRequest], dictionary: [Array("chunked".utf8)])
        mutator.learnTokens(fromReply: Array("HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n".utf8))
        mutator.addToPool(Array("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi".utf8))
        func digest() -> UInt64 {
            var random = SeededRandom(seed: 42)
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for _ in 0..<500 {
                let m = mutator.mutate(Self.httpRequest, using: &random)
                // Its size, its ends and every 97th byte: a long value is one byte repeated.
                let sample = m.bytes.prefix(256) + m.bytes.suffix(256) + stride(from: 0, to: m.bytes.count, by: 97).map { m.bytes[$0] }
                for b in Array(sample) + Array("\(m.bytes.count)".utf8) + Array(m.operations.joined().utf8) {
                    hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3
                }
            }
            return hash
        }
        let first = digest()
        #expect(first == digest())
        // Pinned: a Hasher, a Set's order or a global random source anywhere in the mutator
        // would change this from one process to the next.
        #expect(first == MutatorTests.golden, "golden hash changed: \(first)")
    }
    static let golden: UInt64 = 7_714_155_665_935_482_235

    @Test("no mutant grows past its request by more than one long value")
    func sizeBound() {
        let seeds = [Self.setRequest, Self.httpRequest]
        for (framing, seed) in [(Framing.resp(), Self.setRequest), (.http1(), Self.httpRequest)] {
            let mutator = ContentMutator(framing: framing, seeds: seeds)
            var random = SeededRandom(seed: 5)
            var request = seed
            for n in 0..<1_500 {
                let m = mutator.mutate(request, using: &random)
                #expect(m.bytes.count <= request.count + ContentMutator.maxGrowth)
                #expect(!m.operations.isEmpty)
                // Now and then mutate a mutant, as a campaign does from its corpus.
                request = n % 10 == 0 && m.bytes.count < 4096 ? m.bytes : seed
            }
        }
    }
}
