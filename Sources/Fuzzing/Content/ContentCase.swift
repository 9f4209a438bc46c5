// One input of a content campaign: the requests one connection sends, in order, each written
// whole right after the one before it. The unit the corpus keeps, the mutator varies and the
// shrinker reduces.

public struct ContentCase: Sendable, Hashable, Codable {
    public var requests: [[UInt8]]

    public init(_ requests: [[UInt8]]) {
        self.requests = requests
    }

    /// Every request's bytes, one stream.
    public var bytes: [UInt8] { requests.flatMap { $0 } }
}
