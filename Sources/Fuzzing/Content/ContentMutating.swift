// What the content campaign needs of a mutator: RequestMutation's ContentMutator (the field-aware
// mutator of each framing) conforms; tests may give a scripted one.

import RequestMutation
import Vocabulary

public protocol ContentMutating: Sendable {
    /// Tokens learned from a server's reply (words, numbers, header names, error prefixes).
    mutating func learnTokens(fromReply reply: [UInt8])
    /// A request that produced new behaviour: a source for splicing from now on.
    mutating func addToPool(_ request: [UInt8])
    /// One mutant of `request` and what was done to it, in words; every choice from `random`.
    func mutated(_ request: [UInt8], using random: inout SeededRandom) -> (bytes: [UInt8], operations: [String])
    /// Simpler variants of a failing request, simplest first, for shrinking inside it.
    func simplifications(of request: [UInt8]) -> [[UInt8]]
}

extension ContentMutator: ContentMutating {
    public func mutated(_ request: [UInt8], using random: inout SeededRandom) -> (bytes: [UInt8], operations: [String]) {
        let mutant = mutate(request, using: &random)
        return (mutant.bytes, mutant.operations)
    }
}
