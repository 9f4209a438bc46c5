// A joinable OS thread whose pthread_t is known (to deliver a signal to it), and a no-op
// signal handler installed without SA_RESTART, so a blocked wait returns EINTR.

import Glibc
import Synchronization

public final class TestThread: @unchecked Sendable {
    // Written in init before any other thread can see the object; read-only afterwards.
    private var thread = pthread_t()
    /// Whether the thread was joined or detached (its pthread_t is then no longer ours).
    private let released = Mutex(false)
    private final class Flag: Sendable { let value = Atomic<Bool>(false) }
    private let finished = Flag()

    private final class Body {
        let run: @Sendable () -> Void
        let done: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void, _ done: @escaping @Sendable () -> Void) {
            self.run = run
            self.done = done
        }
    }

    /// Starts `body` on a new thread at once. The thread starts with no signal blocked (the
    /// test runner's worker threads block most signals, and a new thread inherits that mask).
    public init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body, { [finished] in finished.value.store(true, ordering: .releasing) })).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            body.done()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    public var hasFinished: Bool { finished.value.load(ordering: .acquiring) }

    /// Sends `signal` to this thread (pthread_kill); returns 0 on success.
    @discardableResult
    public func send(signal: Int32) -> Int32 {
        released.withLock { gone in gone ? ESRCH : pthread_kill(thread, signal) }
    }

    /// Waits for the thread to finish.
    public func join() {
        let mine = released.withLock { gone -> Bool in
            defer { gone = true }
            return !gone
        }
        if mine { pthread_join(thread, nil) }
    }

    /// Waits at most `timeout` seconds for the thread to finish; joins it if it did, detaches
    /// it (leaving it to run) if not, so a stuck thread fails its test instead of hanging the
    /// suite. Returns whether it finished.
    @discardableResult
    public func join(timeout: Double) -> Bool {
        if waitUntil(timeout: timeout, { hasFinished }) {
            join()
            return true
        }
        let mine = released.withLock { gone -> Bool in
            defer { gone = true }
            return !gone
        }
        if mine { pthread_detach(thread) }
        return false
    }
}

/// How many times the no-op handler ran.
private let handledSignals = Atomic<Int>(0)

public var signalsHandled: Int { handledSignals.load(ordering: .acquiring) }

private let installLock = Mutex<Set<Int32>>([])

/// Installs a handler that does nothing but count, with sa_flags 0 (no SA_RESTART): a thread
/// blocked in epoll_wait/select when the signal arrives gets EINTR.
public func installNoOpHandlerWithoutRestart(for signal: Int32) {
    _ = handledSignals.load(ordering: .relaxed) // initialise the global outside the handler
    installLock.withLock { installed in
        guard !installed.contains(signal) else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            handledSignals.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        let rc = sigaction(signal, &action, nil)
        precondition(rc == 0, "sigaction failed: \(errno)")
        installed.insert(signal)
    }
}

/// A small Sendable box for what one thread hands another (results, flags).
public final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    public init(_ value: Value) { storage = Mutex(value) }
    public var value: Value { storage.withLock { $0 } }
    public func update(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}

/// Calls `poke` every 100 ms once `seconds` have passed, until cancelled: wakes a loop that a
/// bug left blocked in an unbounded wait (write to a watched socket's peer), so the test fails
/// on its own deadline instead of hanging the suite.
public final class Watchdog: Sendable {
    private let cancelled = Shared(false)
    private let thread: TestThread

    public init(after seconds: Double, _ poke: @escaping @Sendable () -> Void) {
        let cancelled = self.cancelled
        let start = nowNanos()
        thread = TestThread {
            while !cancelled.value {
                if elapsedSeconds(since: start) >= seconds { poke(); sleepMillis(100) } else { sleepMillis(10) }
            }
        }
    }

    public func cancel() {
        cancelled.update { $0 = true }
        thread.join(timeout: 5)
    }
}
