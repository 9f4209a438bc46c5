// What a content campaign is given: the seeds and how to mutate them, the server (spawned or a
// target), the oracles' settings (hang timeout and probe, a reference implementation and masks),
// and its budget, seed and where findings and the corpus go.

import Framing
import ProcessMonitor
import ScenarioRunner
import Syscalls
import Vocabulary

public struct ContentConfiguration: Sendable {
    /// The user's ordinary requests.
    public var seeds: [[UInt8]]
    public var framing: Framing
    /// The server under test: started (and restarted) by the campaign...
    public var spawn: SpawnCommand?
    /// ... or already running here (with `spawn` and no `{port}`: where the spawned one listens).
    public var target: Target?
    /// Another implementation: each reply must equal its reply to the same requests (masks apply).
    public var reference: Target?
    /// ... started as a process (`--reference 'CMD {port}'`), restarted with the server under
    /// test so both start each confirmation from the same (empty) state.
    public var referenceSpawn: SpawnCommand?
    public var masks: [String] = []
    /// The liveness probe's request (nil: the first seed) and the pattern its answer must match.
    public var probeRequest: [UInt8]?
    public var probePattern: String?
    /// A probe with no answer within this long is a hang.
    public var hangTimeoutNanos: UInt64 = 1_000_000_000
    public var seed: UInt64 = 1
    public var runs: Int?
    public var durationNanos: UInt64?
    public var segment: ExecutionSegment = .whole
    /// Grown with every input that showed new behaviour, and read first.
    public var corpusDirectory: String?
    public var outDirectory: String? = "fuzz-failures"
    /// Most requests one input sends.
    public var maxRequests = 4
    /// A liveness probe after every input that looked wrong, and after every this many inputs.
    public var probeEvery = 16
    public var timing = ContentTiming()
    /// Replays of the written file, each against a fresh instance when spawned.
    public var replays = 5
    /// Runs of a candidate while confirming (a majority must fail the same way).
    public var confirmationTries = 3
    public var shrinkAttempts = 200
    public var shrinkSeconds: Double = 60
    /// Whether one reply more than the requests sent is a violation: only when the framing cuts
    /// the user's requests into whole requests (`delimiter:END\r\n` describes memcached's
    /// replies, not its requests, and would count them wrong).
    public var countsReplies = true
    /// Inputs kept to retry together when the last one alone does not reproduce a failure on a
    /// fresh instance (a failure that needs what came before it).
    public var historyLength = 8

    public init(seeds: [[UInt8]], framing: Framing) {
        self.seeds = seeds
        self.framing = framing
    }

    /// The probe the oracles use.
    public var probe: LivenessProbe {
        LivenessProbe(request: probeRequest ?? seeds.first, framing: framing, pattern: probePattern)
    }

    /// The server the campaign runs against, as reports name it.
    public var against: String {
        if let spawn { return "spawn \(spawn)" }
        if let target { return "target \(target)" }
        return "no server"
    }
}
