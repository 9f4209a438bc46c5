// The embedded echo server as the rest of sockfuzz sees it: start on its own thread, read its
// address and stats from any thread, stop from any thread. The backend is chosen here, once.

import Reactor
import Synchronization
import Syscalls

public final class EchoServer: Sendable {
    public let configuration: ServerConfiguration
    public let stats = ServerStats()
    private struct Running {
        var loop: RunningLoop
        var address: SocketAddress
    }
    private let running = Mutex<Running?>(nil)

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    /// The address the server listens on, once started.
    public var address: SocketAddress? { running.withLock { $0?.address } }

    public var isRunning: Bool { running.withLock { $0 != nil } }

    /// Binds and starts serving on a new thread. Binding happens here, so a taken port or a bad
    /// host is this call's error; returns the bound address (the real port when asked for 0).
    @discardableResult
    public func start() throws -> SocketAddress {
        let config = try configuration.validated()
        Sys.ignoreSIGPIPE()
        return try running.withLock { state throws -> SocketAddress in
            if let state { return state.address }
            let started: Running
            switch config.mode {
            case .busy: started = try launch(EchoServerCore<BusyPollBackend>.self, config)
            case .select: started = try launch(EchoServerCore<SelectBackend>.self, config)
            case .epoll: started = try launch(EchoServerCore<EpollBackend>.self, config)
            case .uring: started = try launchUring(config)
            }
            state = started
            return started.address
        }
    }

    private func launch<B: PollerBackend>(_: EchoServerCore<B>.Type, _ config: ServerConfiguration) throws -> Running {
        let core = try EchoServerCore<B>(configuration: config, stats: stats)
        guard let address = core.boundAddress else {
            throw SystemError(call: "getsockname", errno: 0, fd: core.listener)
        }
        let handOff = HandOff(core)
        let thread = LoopThread()
        thread.start { handOff.take().run() }
        return Running(loop: RunningLoop(thread: thread, waker: core.loop.waker), address: address)
    }

    private func launchUring(_ config: ServerConfiguration) throws -> Running {
        let core = try UringEchoCore(configuration: config, stats: stats)
        guard let address = core.boundAddress else {
            throw SystemError(call: "getsockname", errno: 0, fd: core.listener)
        }
        let handOff = HandOff(core)
        let thread = LoopThread()
        thread.start { handOff.take().run() }
        return Running(loop: RunningLoop(thread: thread, waker: core.waker), address: address)
    }

    /// Connection descriptors the server holds now, counted from the process's descriptor table
    /// rather than from the server's own books, so a descriptor it forgot to close still counts.
    public func heldDescriptors() -> Int {
        guard let address else { return 0 }
        return Sys.connectedSockets(boundTo: address)
    }

    /// Stops the loop, waits for its thread, and closes every descriptor the server opened.
    public func stop() {
        let state = running.withLock { state -> Running? in
            defer { state = nil }
            return state
        }
        state?.loop.stop()
    }

    deinit { stop() }
}
