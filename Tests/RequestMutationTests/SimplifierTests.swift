// Shrinking inside a request: units dropped, repeats halved, long values and long integers
// shortened; a length that told the truth keeps telling it, a lying one keeps its lie.

import Framing
import RequestMutation
import Testing
import Vocabulary

@Suite("Simplifications of a failing request")
struct SimplifierTests {
    @Test("a header repeated 8 times is offered once, then at half")
    func repeats() {
        var text = "GET / HTTP/1.1\r\n"
        for _ in 0..<8 { text += "X: y\r\n" }
        let request = Array((text + "\r\n").utf8)
        let candidates = ContentMutator(framing: .http1(), seeds: []).simplifications(of: request).map { String(decoding: $0, as: UTF8.self) }
        #expect(candidates.contains("GET / HTTP/1.1\r\nX: y\r\n\r\n"))
        #expect(candidates.contains("GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 4) + "\r\n"))
    }

    @Test("dropping a RESP argument keeps a true array count true")
    func respCount() {
        let request = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8)
        let candidates = ContentMutator(framing: .resp(), seeds: []).simplifications(of: request).map { String(decoding: $0, as: UTF8.self) }
        #expect(candidates.first == "*2\r\n$3\r\nSET\r\n$1\r\nk\r\n")
    }

    @Test("a long value is shortened; its lying length keeps lying")
    func lyingLength() {
        let payload = String(repeating: "A", count: 64)
        let request = Array("*2\r\n$3\r\nGET\r\n$1\r\n\(payload)\r\n".utf8)  // does not parse: bytes only
        let truthful = Array("*2\r\n$3\r\nGET\r\n$64\r\n\(payload)\r\n".utf8)
        let mutator = ContentMutator(framing: .resp(), seeds: [])
        #expect(!mutator.simplifications(of: request).isEmpty)
        let shortened = mutator.simplifications(of: truthful).map { String(decoding: $0, as: UTF8.self) }
        #expect(shortened.contains("*2\r\n$3\r\nGET\r\n$32\r\n\(String(repeating: "A", count: 32))\r\n"))
    }

    @Test("a 20-digit integer loses a digit at a time")
    func integer() {
        let request = Array("INCRBY k 99999999999999999999\r\n".utf8)
        let candidates = ContentMutator(framing: .resp(), seeds: []).simplifications(of: request).map { String(decoding: $0, as: UTF8.self) }
        #expect(candidates.contains("INCRBY k 9999999999999999999\r\n"))
        #expect(!candidates.contains("INCRBY k 99999999999999999999\r\n"))
    }

    @Test("never traps, on any short bytes in any framing, and never offers the request itself",
          arguments: [Framing.raw, .line(), .resp(), .http1(), .length(LengthPrefix(width: 4))])
    func noTrap(_ framing: Framing) {
        // Five bytes in quarters of two once cut past the end: the shrinker's first failing input.
        let mutator = ContentMutator(framing: framing, seeds: [])
        var random = SeededRandom(seed: 7)
        for length in 0...40 {
            for _ in 0..<25 {
                let request = (0..<length).map { _ in UInt8(random.int(in: 0...255)) }
                #expect(!mutator.simplifications(of: request).contains(request))
            }
        }
        #expect(!mutator.simplifications(of: Array("$-1\r".utf8)).isEmpty)
    }
}
