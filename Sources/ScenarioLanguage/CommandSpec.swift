// One form of a command as the table holds it: what a user types and reads about it, and what
// it is to the code that runs it (a check or not, what its failures are reported as, what it
// reads of the bytes received). Each fact is written once, in the form's row of `CommandTable`,
// and asked of a parsed command through `Command.spec`.

public struct CommandSpec: Sendable, Equatable {
    /// Unique name of the form, also its heading in the language reference: `send hex`.
    public var name: String
    /// The word(s) the user types first: `send`, `server start`, `set timeout`.
    public var command: String
    /// The syntax line exactly as the reference shows it.
    public var syntax: String
    public var summary: String
    /// A valid example (it may span lines for `repeat`); groups it uses are assumed connected.
    public var example: String
    /// Fixed words the form accepts after the command (modes, stats, payload kinds...).
    public var keywords: [String]
    /// `key=` options and bare flags, as typed: the parser accepts exactly these.
    public var options: [String]
    /// What the form is to the run's check counts and to the fuzzer.
    public var kind: Kind
    /// The check its failures are reported as (ScenarioRunner's `FailureKind.Check`).
    public var failsAs: CheckFamily
    /// What it reads of the bytes its connections received.
    public var reads: Reading
    /// It starts, stops, points at or reads the server (`server ...`, `target`, `expect server`):
    /// against a server named on the command line it is skipped, so a console session does not
    /// record it.
    public var isServerCommand: Bool

    public init(name: String, command: String, syntax: String, summary: String, example: String,
                keywords: [String] = [], options: [String] = [], kind: Kind = .action, failsAs: CheckFamily = .command,
                reads: Reading = .nothing, isServerCommand: Bool = false) {
        self.name = name
        self.command = command
        self.syntax = syntax
        self.summary = summary
        self.example = example
        self.keywords = keywords
        self.options = options
        self.kind = kind
        self.failsAs = failsAs
        self.reads = reads
        self.isServerCommand = isServerCommand
    }

    public enum Kind: Sendable, Equatable {
        /// Sets, starts or does something; it fails only when it cannot be done.
        case action
        /// Runs other statements (`repeat`, `include`), whose checks are counted one by one.
        case block
        /// An `expect`: one check, held, failed or skipped.
        case expectation
        /// A `fuzz` campaign: one check, made of many runs.
        case campaign
    }

    /// What a failure of the form is reported as. `state` and `server` take the state or
    /// counter from the command; `command` is a statement that could not be carried out.
    public enum CheckFamily: Sendable, Equatable {
        case echo, recv, match, reply, skip, connected, latency, tls, liveness, state, server, connect, send, load, fuzz, command
    }

    /// What a form reads of the bytes received, so a run keeps only what its statements read.
    public enum Reading: Sendable, Equatable {
        case nothing
        /// The bytes themselves, through each connection's read cursor (`recv`, `match`, `skip`, `drain`).
        case inbox
        /// The echo books: how much of what was sent came back (`expect echo`, `fuzz`'s echo oracle).
        case echo
        /// Whole replies cut by each connection's framing; `consumes` when it takes them (a later
        /// reply check counts on that), not when it only looks (`no-reply`).
        case replies(consumes: Bool)
    }

    /// Counted in a run's checks: an `expect`, a `fuzz` campaign, or a `load`, which verifies
    /// every echoed byte or reply and fails on any that is wrong or missing.
    public var isCheck: Bool { kind == .expectation || kind == .campaign || failsAs == .load }

    /// The `key=` options, without their `=`.
    var keys: [String] { Self.keys(of: options) }

    static func keys(of options: [String]) -> [String] { options.filter { $0.hasSuffix("=") }.map { String($0.dropLast()) } }
    /// The bare flags (`tls`, `edge`).
    static func flags(of options: [String]) -> [String] { options.filter { !$0.hasSuffix("=") } }
}

extension Command {
    /// The table's form of this command.
    public var spec: CommandSpec { CommandTable.byName[specName]! }
}
