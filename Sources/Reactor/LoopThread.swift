// A plain OS thread for a loop, joinable. (Foundation's Thread cannot be joined.)

import Glibc

public final class LoopThread: @unchecked Sendable {
    // Written once in start(), read in join() after pthread_create returned: no race.
    private var thread = pthread_t()
    private var started = false

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    public init() {}

    /// Starts `body` on a new thread.
    public func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        started = true
    }

    /// Waits for the thread to finish.
    public func join() {
        guard started else { return }
        started = false
        pthread_join(thread, nil)
    }
}

/// A loop on its own thread, as its owner keeps it: what stopping it takes.
public struct RunningLoop: Sendable {
    public let thread: LoopThread
    public let waker: LoopWaker

    public init(thread: LoopThread, waker: LoopWaker) {
        self.thread = thread
        self.waker = waker
    }

    /// Asks the loop to stop and waits for its thread to end.
    public func stop() {
        waker.stop()
        thread.join()
    }
}

/// Moves a non-Sendable value (a loop's core) to the one thread that will own it from then on.
public final class HandOff<T>: @unchecked Sendable {
    private var value: T?
    public init(_ value: T) { self.value = value }
    public func take() -> T {
        defer { value = nil }
        return value!
    }
}
