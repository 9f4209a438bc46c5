// How a scenario is run: which server (embedded in a mode, or a third-party target), which
// seed, the default deadline, and a flag another thread sets to interrupt (Ctrl-C).

import ScenarioLanguage
import EmbeddedServer
import ProcessMonitor
import Reactor
import Synchronization
import Syscalls
import Vocabulary

public struct RunConfiguration: Sendable {
    /// Overrides the mode of every `server start` (and of the default server). nil: as written.
    public var mode: BackendKind?
    /// A third-party server (`--target`, with its host as written): no embedded server is
    /// started; `server` commands are skipped.
    public var target: Target?
    /// Overrides every `seed` statement: replays a reported run.
    public var seed: UInt64?
    public var defaultTimeoutNanos: UInt64
    public var connectTimeoutNanos: UInt64
    /// A fault injected into every embedded server this run starts (overrides the file's).
    public var fault: ServerFault?
    /// `--segment i/n`: run share i of n (overrides the file's `segment`). nil: as written.
    public var segment: ExecutionSegment?
    /// `--tls`: every connect without its own `tls` speaks TLS with these settings (a CA path
    /// relative to the working directory), and every embedded server serves TLS. nil: as written.
    public var tls: ClientTLS?
    /// `--spawn`: a fresh instance of the server under test for the run, the target of its
    /// connects (the file's `spawn`, `target` and server lines give way). nil: as written.
    public var spawn: SpawnCommand?
    /// How replies are shown as they arrive until a `set show` says otherwise (`run -v`: text).
    public var replyDisplay: ReplyDisplay = .off

    public init(mode: BackendKind? = nil, target: Target? = nil, seed: UInt64? = nil,
                defaultTimeoutNanos: UInt64 = 5_000_000_000, connectTimeoutNanos: UInt64 = 5_000_000_000,
                fault: ServerFault? = nil, segment: ExecutionSegment? = nil, tls: ClientTLS? = nil) {
        self.mode = mode
        self.target = target
        self.seed = seed
        self.defaultTimeoutNanos = defaultTimeoutNanos
        self.connectTimeoutNanos = connectTimeoutNanos
        self.fault = fault
        self.segment = segment
        self.tls = tls
    }
}

/// Set from a signal-handling thread; polled by the runner between and during commands.
public final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
    public func clear() { flag.store(false, ordering: .relaxed) }
}
