// What `sockfuzz load --json` writes: one run's (or one share's) connect and load figures, the
// test it belongs to, and its verdict. `sockfuzz merge` reads it back and adds shares up.

import Vocabulary

public struct LoadRecord: Sendable, Codable {
    public var tool = "sockfuzz load"
    /// The options that define the test (`sockfuzz merge` only adds up shares of one test).
    public var test: String?
    /// Which share of the test this is.
    public var segment: ExecutionSegment?
    /// How late after `--start-at` this share began, when it did.
    public var startedLateSeconds: Double?
    public var against: String
    public var connect: ConnectBurstResult
    public var load: LoadResult?
    /// Stopped by SIGINT or SIGTERM: the figures are partial.
    public var interrupted = false
    /// Every connection echoed and every message came back verified.
    public var passed = false
    /// Why not, one line per kind of failure.
    public var problems: [String] = []

    public init(against: String, connect: ConnectBurstResult) {
        self.against = against
        self.connect = connect
    }
}
