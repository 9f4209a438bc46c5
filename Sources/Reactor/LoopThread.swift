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
