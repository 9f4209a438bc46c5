// The proxies as the rest of sockfuzz sees them: a loop of the chosen design on its own thread,
// and operations callable from any thread (the console, the HTTP API, a scenario), each run on
// the loop's thread between iterations and waited for.

import Dispatch
import Framing
import Reactor
import Synchronization
import Syscalls
import Vocabulary

public final class ProxyServer: Sendable {
    public let mode: BackendKind
    private let jobs = JobQueue()
    private let running = Mutex<RunningLoop?>(nil)

    /// Starts the loop (no proxies yet). `seed` draws toxicity and jitter reproducibly.
    public init(mode: BackendKind = .epoll, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) throws {
        self.mode = mode
        Sys.ignoreSIGPIPE()
        let started: RunningLoop
        switch mode {
        case .busy: started = try Self.launch(ProxyCore<BusyPollBackend>.self, seed, jobs)
        case .select: started = try Self.launch(ProxyCore<SelectBackend>.self, seed, jobs)
        case .epoll: started = try Self.launch(ProxyCore<EpollBackend>.self, seed, jobs)
        case .uring: throw ProxyError(.invalid, "the proxy runs on busy, select or epoll; uring is the embedded server's design only")
        }
        running.withLock { $0 = started }
    }

    private static func launch<B: PollerBackend>(_: ProxyCore<B>.Type, _ seed: UInt64, _ jobs: JobQueue) throws -> RunningLoop {
        let core = try ProxyCore<B>(seed: seed)
        let waker = core.loop.waker
        jobs.attach(waker)
        let handOff = HandOff(core)
        let thread = LoopThread()
        thread.start {
            let core = handOff.take()
            while !core.loop.waker.isStopRequested {
                // A failing wait cannot be retried: the proxies stop, and every later operation says so.
                do { try core.loop.runOnce(core, maxWaitNanos: nil) } catch { jobs.fail("the proxy's event loop failed: \(error)"); break }
                jobs.run(on: core)
            }
            jobs.fail("the proxy has stopped")
            jobs.run(on: core)
        }
        return RunningLoop(thread: thread, waker: waker)
    }

    /// Stops the loop, closing every listener and connection.
    public func stop() {
        let state = running.withLock { state -> RunningLoop? in
            defer { state = nil }
            return state
        }
        state?.stop()
    }

    deinit { stop() }

    // MARK: operations

    public func create(name: String, listen: String, upstream: String, enabled: Bool = true, framing: Framing? = nil) throws(ProxyError) -> ProxyInfo {
        try perform { control throws(ProxyError) in
            try control.create(name: name, listen: listen, upstream: upstream, enabled: enabled, framing: framing)
        }
    }

    public func update(name: String, listen: String? = nil, upstream: String? = nil, enabled: Bool? = nil) throws(ProxyError) -> ProxyInfo {
        try perform { control throws(ProxyError) in try control.update(name: name, listen: listen, upstream: upstream, enabled: enabled) }
    }

    public func delete(name: String) throws(ProxyError) {
        try perform { control throws(ProxyError) in try control.delete(name: name) }
    }

    /// Starts recording what goes through the proxy (see `ProxyRecording`).
    public func startRecording(_ name: String) throws(ProxyError) {
        try perform { control throws(ProxyError) in try control.startRecording(name) }
    }

    /// What the proxy recorded so far, nil when it does not record.
    public func recording(of name: String) throws(ProxyError) -> ProxyRecording? {
        try perform { control throws(ProxyError) in try control.recording(of: name) }
    }

    public func list() -> [ProxyInfo] {
        (try? perform { control in control.list() }) ?? []
    }

    public func get(_ name: String) throws(ProxyError) -> ProxyInfo {
        guard let info = list().first(where: { $0.name == name }) else { throw ProxyError(.notFound, "proxy not found") }
        return info
    }

    public func addToxic(proxy: String, _ toxic: Toxic) throws(ProxyError) -> Toxic {
        try perform { control throws(ProxyError) in try control.addToxic(proxy: proxy, toxic) }
    }

    public func updateToxic(proxy: String, name: String, attributes: [String: Int64], toxicity: Double? = nil) throws(ProxyError) -> Toxic {
        try perform { control throws(ProxyError) in
            try control.updateToxic(proxy: proxy, name: name, attributes: attributes, toxicity: toxicity)
        }
    }

    public func removeToxic(proxy: String, name: String) throws(ProxyError) {
        try perform { control throws(ProxyError) in try control.removeToxic(proxy: proxy, name: name) }
    }

    public func reset() {
        try? perform { control in control.reset() }
    }

    /// Runs `body` on the loop's thread and waits for it.
    private func perform<R: Sendable>(_ body: @escaping @Sendable (any ProxyControl) throws(ProxyError) -> R) throws(ProxyError) -> R {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<R>()
        jobs.post { control in
            do throws(ProxyError) { box.result = .success(try body(control)) } catch { box.result = .failure(error) }
            done.signal()
        } failed: { reason in
            box.result = .failure(ProxyError(.invalid, reason))
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// The operations waiting for the loop, and whether the loop still runs them.
final class JobQueue: Sendable {
    typealias Job = @Sendable (any ProxyControl) -> Void
    private struct State {
        var waiting: [(run: Job, failed: @Sendable (String) -> Void)] = []
        var failure: String?
        var waker: LoopWaker?
    }
    private let state = Mutex(State())

    func attach(_ waker: LoopWaker) { state.withLock { $0.waker = waker } }

    /// Queues a job, or calls `failed` at once when the loop has stopped.
    func post(_ job: @escaping Job, failed: @escaping @Sendable (String) -> Void) {
        let (waker, failure) = state.withLock { state -> (LoopWaker?, String?) in
            if let failure = state.failure { return (nil, failure) }
            state.waiting.append((job, failed))
            return (state.waker, nil)
        }
        if let failure {
            failed(failure)
            return
        }
        waker?.wake()
    }

    func run(on control: any ProxyControl) {
        let (batch, failure) = state.withLock { state in
            defer { state.waiting = [] }
            return (state.waiting, state.failure)
        }
        for job in batch {
            if let failure { job.failed(failure) } else { job.run(control) }
        }
    }

    func fail(_ reason: String) {
        state.withLock { if $0.failure == nil { $0.failure = reason } }
    }
}

final class ResultBox<R>: @unchecked Sendable {
    // Written by the loop's thread before the semaphore is signalled, read after the wait.
    var result: Result<R, ProxyError>?
}
