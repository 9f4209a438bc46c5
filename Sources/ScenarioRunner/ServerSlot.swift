// The server a session's traffic is for, and where its connects go: the embedded echo server it
// started, a third-party server (`--target`, a `target` line) or a spawned process, with a
// proxy's address in front while one runs; and what the last embedded server was and counted,
// for the report once it has stopped. It reports nothing itself: the session's statements say
// what changed.

import EmbeddedServer
import ProcessMonitor
import Syscalls
import Vocabulary

struct ServerSlot {
    /// The server the traffic is for.
    enum UnderTest {
        /// The embedded server's address, kept after it stopped: connects to it are then refused,
        /// which a scenario can expect.
        case embedded(SocketAddress)
        /// A server this session did not start itself (a spawned process counts as one), with its
        /// host as written: the name TLS sends and checks, as a replayed finding must too.
        case thirdParty(Target)

        var address: SocketAddress {
            switch self {
            case .embedded(let address): return address
            case .thirdParty(let target): return target.address
            }
        }
    }

    /// Nil until the first server start, target or spawn.
    private(set) var underTest: UnderTest?
    /// Where connects go instead of the server's own address: a proxy's (`proxy NAME`), or the
    /// upstream a stopped proxy pointed at when that is not the server's address.
    private var detour: SocketAddress?
    /// The embedded server, while it runs.
    private(set) var running: EchoServer?
    /// The counters of the last embedded server, taken as it stopped.
    private var lastStats: ServerStatsSnapshot?
    /// The configuration of the last embedded server started (it may be stopped now): what the
    /// report names, mode and fault, instead of a default that never ran.
    private(set) var lastConfiguration: ServerConfiguration?
    /// The server under test as a process (`spawn`, `--spawn`), ended with the session.
    private(set) var spawned: ServerProcess?
    /// A server was spawned (or failed to start): `--spawn`'s starts once per session.
    private(set) var spawnTried = false

    /// `target` is `--target`'s server, nil when the session starts its own.
    init(target: Target?) {
        underTest = target.map { .thirdParty($0) }
    }

    /// Where connects go now; nil until a server was chosen.
    var connectAddress: SocketAddress? { detour ?? underTest?.address }

    /// Where connects go, with the third-party server's host as written: the name TLS sends and
    /// checks, also through a proxy in front of it.
    var connectTarget: Target? { connectAddress.map { Target($0, host: thirdParty?.host) } }

    /// The third-party server in use, nil while traffic is for an embedded server.
    var thirdParty: Target? {
        guard case .thirdParty(let target) = underTest else { return nil }
        return target
    }

    /// The running embedded server's counters, else the last one's as it stopped.
    var stats: ServerStatsSnapshot? { running?.stats.snapshot() ?? lastStats }

    /// The embedded server's own movement (accepts, bytes, closes; not its loop's idle turns):
    /// a server still catching up on a busy machine, with nothing left to move on the client's
    /// side, is not a stall.
    func movement() -> ServerStatsSnapshot? {
        guard var stats = running?.stats.snapshot() else { return nil }
        stats.iterations = 0
        stats.idleIterations = 0
        return stats
    }

    // MARK: choosing the server

    /// Starts a fresh embedded server, which later connects go to; the running one must have
    /// been stopped first. A start that fails changes nothing.
    mutating func startEmbedded(_ configuration: ServerConfiguration) throws -> SocketAddress {
        precondition(running == nil, "stop the running embedded server first")
        let fresh = EchoServer(configuration: configuration)
        let address = try fresh.start()
        underTest = .embedded(address)
        detour = nil
        running = fresh
        lastConfiguration = configuration
        return address
    }

    /// Stops the embedded server, keeping its counters and its address (later connects are
    /// refused); false when none ran.
    @discardableResult
    mutating func stopEmbedded() -> Bool {
        guard let server = running else { return false }
        lastStats = server.stats.snapshot()
        server.stop()
        running = nil
        return true
    }

    /// Later connects go to `target`; the embedded server must have been stopped first.
    mutating func useThirdParty(_ target: Target) {
        precondition(running == nil, "stop the running embedded server first")
        underTest = .thirdParty(target)
        detour = nil
    }

    /// Starts `command` as the server under test, ending a process spawned before; later
    /// connects go to it and the embedded server stops. A start that fails has already ended the
    /// process spawned before (one server under test at a time); the embedded server is left as it was.
    mutating func spawn(_ command: SpawnCommand) throws(ServerProcess.StartError) -> ServerProcess {
        spawnTried = true
        spawned?.stop()
        let process = try ServerProcess.start(command)
        stopEmbedded()
        spawned = process
        underTest = .thirdParty(Target(process.address))
        detour = nil
        return process
    }

    // MARK: proxies in front

    /// Later connects go through a proxy listening at `proxy`.
    mutating func connectThrough(_ proxy: SocketAddress) {
        detour = proxy
    }

    /// The proxy listening at `listen` stopped: if connects went through it, they go to its
    /// `upstream` now, and this says true.
    mutating func proxyStopped(listen: SocketAddress, upstream: SocketAddress) -> Bool {
        guard connectAddress == listen else { return false }
        detour = upstream == underTest?.address ? nil : upstream
        return true
    }

    /// Stops the embedded server and ends a spawned one.
    mutating func close() {
        stopEmbedded()
        spawned?.stop()
    }
}
