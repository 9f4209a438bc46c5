// What one run of one scenario produced: pass / fail / interrupted, the failures with their
// locations, and every figure (per group and the server's counters), ready for the reports.

import ClientEngine
import EmbeddedServer
import Load
import Results
import ScenarioLanguage

public enum RunStatus: String, Sendable, Codable {
    case passed, failed, interrupted, skipped
    /// Could not run at all: the file has a syntax error or cannot be read.
    case errored
}

/// A failed expectation (or a command that could not be carried out), located in its file.
public struct RunFailure: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// The statement as it reads in the scenario.
    public var statement: String
    public var expected: String
    public var seen: String
    public var seed: UInt64
    /// Which check failed and how, set where it failed (`expected` and `seen` are for people).
    public var kind: FailureKind

    public init(at location: SourceLocation, statement: String, expected: String, seen: String, seed: UInt64,
                kind: FailureKind) {
        file = location.file
        line = location.line
        column = location.column
        self.statement = statement
        self.expected = expected
        self.seen = seen
        self.seed = seed
        self.kind = kind
    }

    private enum CodingKeys: String, CodingKey {
        case file, line, column, statement, expected, seen, seed, kind
    }

    /// Reports written before failures carried a kind read back as `FailureKind.unknown`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        file = try c.decode(String.self, forKey: .file)
        line = try c.decode(Int.self, forKey: .line)
        column = try c.decode(Int.self, forKey: .column)
        statement = try c.decode(String.self, forKey: .statement)
        expected = try c.decode(String.self, forKey: .expected)
        seen = try c.decode(String.self, forKey: .seen)
        seed = try c.decode(UInt64.self, forKey: .seed)
        kind = try c.decodeIfPresent(FailureKind.self, forKey: .kind) ?? .unknown
    }

    public var location: String { "\(file):\(line):\(column)" }

    /// Expected and seen one above the other, as packetdrill prints them.
    public var description: String {
        """
        \(location): \(statement) failed (seed \(seed))
          expected: \(expected)
          seen:     \(seen)
        """
    }
}

/// The figures of one connection group.
public struct GroupFigures: Sendable, Codable, Equatable {
    public var name: String
    public var connectsStarted: Int
    public var connected: Int
    public var refused: Int
    public var timedOut: Int
    public var connectFailed: Int
    public var resets: Int
    public var peerEOFs: Int
    public var echoMismatches: Int
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var latencySamples: UInt64
    /// Round-trip latency percentiles in microseconds (nil: no samples).
    public var latencyMicros: Percentiles?
    /// A share's round trips at full precision (HdrHistogram's compressed encoding, base64),
    /// so `sockfuzz merge` computes the whole run's percentiles; only in segmented runs.
    public var latencyHistogram: String?

    init(name: String, _ s: GroupStats, keepingHistogram: Bool = false) {
        self.name = name
        connectsStarted = s.connectsStarted
        connected = s.connected
        refused = s.refused
        timedOut = s.timedOut
        connectFailed = s.connectFailed
        resets = s.resets
        peerEOFs = s.peerEOFs
        echoMismatches = s.echoMismatches
        bytesSent = s.bytesSent
        bytesReceived = s.bytesReceived
        latencySamples = s.latency.totalCount
        latencyMicros = Percentiles(nanoseconds: s.latency)
        if keepingHistogram && s.latency.totalCount > 0 {
            // The group's histogram grows as needed and says so in no header: encode it in the
            // load's fixed range (up to an hour), which every decoder reads back.
            var fixed = LatencyHistogram.empty()
            fixed.add(s.latency)
            latencyHistogram = HistogramEncoding.base64(fixed)
        }
    }
}

public struct ScenarioResult: Sendable, Codable {
    public var scenario: String
    /// "epoll", "select", "busy", or "target HOST:PORT".
    public var against: String
    public var status: RunStatus
    public var seed: UInt64
    public var durationSeconds: Double
    public var failures: [RunFailure]
    /// Why a run was skipped or why it stopped early (interrupted, a command error).
    public var note: String?
    public var groups: [GroupFigures]
    public var totals: GroupFigures?
    public var server: ServerStatsSnapshot?
    /// What each `load` statement measured.
    public var loads: [LoadResult] = []
    /// Which share of the scenario this run was (`--segment`, `segment`); nil: the whole.
    public var segment: ExecutionSegment?
    /// How late after `run --start-at` this run began, when it was late.
    public var startedLateSeconds: Double?
    /// The checks the run made; nil in a run that never started (and in older reports).
    public var checks: CheckCounts?

    public var passed: Bool { status == .passed || status == .skipped }

    public init(scenario: String, against: String, status: RunStatus, seed: UInt64, durationSeconds: Double,
                failures: [RunFailure], note: String?, groups: [GroupFigures], totals: GroupFigures?,
                server: ServerStatsSnapshot?) {
        self.scenario = scenario
        self.against = against
        self.status = status
        self.seed = seed
        self.durationSeconds = durationSeconds
        self.failures = failures
        self.note = note
        self.groups = groups
        self.totals = totals
        self.server = server
    }

    /// A run that never started: its file could not be parsed (`.errored`), or it was left out
    /// (`.skipped`) because another file's error or an interrupt stopped the whole run. `note` says why.
    public static func notRun(_ scenario: String, against: String, status: RunStatus, note: String, seed: UInt64 = 0) -> ScenarioResult {
        ScenarioResult(scenario: scenario, against: against, status: status, seed: seed, durationSeconds: 0,
                       failures: [], note: note, groups: [], totals: nil, server: nil)
    }
}
