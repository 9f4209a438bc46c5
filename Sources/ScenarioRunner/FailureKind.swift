// What kind of failure a run's failure is: which check failed and how, decided where the check
// failed and carried on the failure as a value. The fuzzer's shrinking, confirmation, reports and
// merge compare kinds; the failure's text is for people and is never read back.

import ScenarioLanguage
import Vocabulary

public struct FailureKind: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Which check failed.
    public enum Check: Hashable, Sendable {
        case echo, recv, match, reply, skip, connected, latency, tls, connect, send, load
        case state(ConnectionState)
        case server(ServerStat)
        /// A statement that could not be carried out (a send to a closed connection, a missing group).
        case command
        /// The fuzzer's liveness probe: a fresh connection's request after the program's abuse
        /// (set by the fuzzer, which knows which connections are its probes).
        case liveness
        /// The server under test ended, or refuses or drops new connections at once.
        case crash
        /// The server under test takes connections but answers none within the deadline.
        case hang
        /// A reply the framing cannot parse, or more replies than requests.
        case protocolViolation
        /// A reply that differs from another implementation's reply to the same requests.
        case differential
        /// The statement's own `fuzz` campaign found something (see the finding's kind).
        case fuzz
    }

    /// How it failed.
    public enum How: String, Hashable, Sendable, Codable, CaseIterable {
        case wrongByte = "wrong byte"
        case extraBytes = "extra bytes"
        case timedOut = "timed out"
        case earlyEOF = "early EOF"
        case reset
        case notAccepted = "not accepted"
        case closed
        case truncated
        case wrongValue = "wrong value"
        case wrongReply = "wrong reply"
        case malformedReply = "malformed reply"
        case extraReply = "extra reply"
        case processExited = "process exited"
        case processKilled = "killed by a signal"
        case refused = "connection refused"
        case closedAtOnce = "closed a fresh connection at once"
        case noAnswer = "no answer"
        case other

        /// The check a way of failing belongs to whatever statement saw it: a reply the framing
        /// cannot parse is a protocol violation in any reply check, a process exit a crash.
        public var impliedCheck: Check? {
            switch self {
            case .malformedReply, .extraReply: return .protocolViolation
            case .processExited, .processKilled, .refused, .closedAtOnce: return .crash
            case .noAnswer: return .hang
            default: return nil
            }
        }
    }

    public var check: Check
    public var how: How

    public init(check: Check, how: How) {
        self.check = check
        self.how = how
    }

    /// The kind of a failure of `command` that failed `how`.
    public init(_ command: Command, how: How) {
        self.how = how
        check = how.impliedCheck ?? Self.check(of: command)
    }

    /// The check a failure of `command` is reported as: its form's family in the command
    /// table, with the state or counter of a `state` or `server` check.
    static func check(of command: Command) -> Check {
        switch command.spec.failsAs {
        case .echo: return .echo
        case .recv: return .recv
        case .match: return .match
        case .reply: return .reply
        case .skip: return .skip
        case .connected: return .connected
        case .latency: return .latency
        case .tls: return .tls
        case .liveness: return .liveness
        case .connect: return .connect
        case .send: return .send
        case .load: return .load
        case .fuzz: return .fuzz
        case .command: return .command
        case .state:
            guard case .expectState(_, let state, _) = command else { return .command }
            return .state(state)
        case .server:
            guard case .expectServer(let stat, _, _, _) = command else { return .command }
            return .server(stat)
        }
    }

    /// A failure older reports recorded without a kind.
    public static let unknown = FailureKind(check: .command, how: .other)

    public var description: String { "\(check.name) (\(how.rawValue))" }

    private enum CodingKeys: String, CodingKey { case check, how }

    /// In reports as two words a reader (and `merge`) understands: `{"check": "state open", "how": "early EOF"}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(check.name, forKey: .check)
        try c.encode(how, forKey: .how)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .check)
        guard let check = Check.all.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorruptedError(forKey: .check, in: c, debugDescription: "unknown check '\(name)'")
        }
        self.check = check
        how = try c.decode(How.self, forKey: .how)
    }
}

extension FailureKind.Check {
    /// Every check, for reading a report's name back.
    static let all: [FailureKind.Check] = [
        .echo, .recv, .match, .reply, .skip, .connected, .latency, .tls, .connect, .send, .load, .command, .liveness, .crash, .hang,
        .protocolViolation, .differential, .fuzz,
    ] + ConnectionState.allCases.map { .state($0) } + ServerStat.allCases.map { .server($0) }

    /// As reports and the terminal name it: `state open`, `server active`, `protocol violation`.
    public var name: String {
        switch self {
        case .echo: return "echo"
        case .recv: return "recv"
        case .match: return "match"
        case .reply: return "reply"
        case .skip: return "skip"
        case .connected: return "connected"
        case .latency: return "latency"
        case .tls: return "tls"
        case .connect: return "connect"
        case .send: return "send"
        case .load: return "load"
        case .state(let state): return "state \(state.rawValue)"
        case .server(let stat): return "server \(stat.rawValue)"
        case .command: return "command"
        case .liveness: return "liveness"
        case .crash: return "crash"
        case .hang: return "hang"
        case .protocolViolation: return "protocol violation"
        case .differential: return "differential"
        case .fuzz: return "fuzz"
        }
    }
}
