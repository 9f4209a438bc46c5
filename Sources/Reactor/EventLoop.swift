// The single-threaded event loop: owns the interest table, the timers and the waker, and
// dispatches what its backend reports to one handler. Not thread-safe except `waker`.
// Generic over the backend so the hot path is specialised, not dispatched through an existential.

import Syscalls

/// Receives readiness for every descriptor registered on a loop.
public protocol EventHandler: AnyObject {
    /// Handles `events` on `fd`; returns whether any work was done (bytes moved, a connection
    /// accepted), which is how the loop counts idle iterations.
    func handle(fd: Int32, events: IOEvents) -> Bool
}

/// Failure policy: a failing wait (epoll_wait, select) is thrown to the caller, which ends the
/// statement or run it was serving with that error, naming the syscall and errno: never a trap,
/// never a silent retry or a zero.
public final class EventLoop<Backend: PollerBackend> {
    private var backend: Backend
    public private(set) var interests = InterestTable()
    private var timers = TimerQueue()
    private var fired: [FiredEvent] = []
    public let waker: LoopWaker
    public private(set) var iterations: UInt64 = 0
    /// Iterations in which no handler did work and no timer fired.
    public private(set) var idleIterations: UInt64 = 0
    private var closed = false

    public init(options: BackendOptions = BackendOptions()) throws(SystemError) {
        backend = try Backend(options: options)
        waker = try LoopWaker()
        fired.reserveCapacity(1024)
        try backend.add(fd: waker.fd, interest: .readable)
    }

    deinit { close() }

    public var kind: BackendKind { Backend.kind }

    /// A descriptor that is readable when the loop has an event to handle (epoll only).
    public var readinessDescriptor: Int32? { (backend as? EpollBackend)?.descriptor }

    /// Releases the backend's kernel state. Descriptors the handler registered stay the
    /// handler's to close.
    public func close() {
        guard !closed else { return }
        closed = true
        backend.remove(fd: waker.fd, old: .readable)
        backend.close()
    }

    // MARK: interest

    public func interest(of fd: Int32) -> IOEvents { interests.interest(of: fd) }

    /// Sets what `fd` is watched for; `.none` stops watching it. The backend is asked first,
    /// so a refusal (select past FD_SETSIZE) leaves the table as it was.
    public func setInterest(_ fd: Int32, _ new: IOEvents) throws(SystemError) {
        let new = new.intersection(.readWrite)
        let old = interests.interest(of: fd)
        guard old != new else { return }
        if old.isEmpty {
            try backend.add(fd: fd, interest: new)
        } else if new.isEmpty {
            backend.remove(fd: fd, old: old)
        } else {
            try backend.modify(fd: fd, old: old, new: new)
        }
        _ = interests.set(fd, new, iteration: iterations)
    }

    /// Stops watching `fd`; call before closing it.
    public func forget(_ fd: Int32) {
        let old = interests.interest(of: fd)
        guard !old.isEmpty else { return }
        backend.remove(fd: fd, old: old)
        _ = interests.set(fd, .none, iteration: iterations)
    }

    // MARK: timers

    @discardableResult
    public func schedule(afterNanos delay: UInt64, _ action: @escaping () -> Void) -> TimerID {
        timers.schedule(at: Sys.monotonicNanos() &+ delay, action)
    }

    @discardableResult
    public func schedule(atNanos deadline: UInt64, _ action: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, action)
    }

    public func cancel(_ timer: TimerID) { timers.cancel(timer) }

    public var pendingTimers: Int { timers.count }

    // MARK: running

    /// Runs until `waker.stop()` is called (from any thread, or from a handler).
    public func run<H: EventHandler>(_ handler: H) throws(SystemError) {
        while !waker.isStopRequested {
            _ = try runOnce(handler, maxWaitNanos: nil)
        }
    }

    /// One iteration: waits at most `maxWaitNanos` (nil: until an event or timer; 0: not at all),
    /// dispatches what fired, then runs the timers that are due. Returns events dispatched.
    @discardableResult
    public func runOnce<H: EventHandler>(_ handler: H, maxWaitNanos: UInt64?) throws(SystemError) -> Int {
        iterations &+= 1
        let now = Sys.monotonicNanos()
        let limit: UInt64? = maxWaitNanos.map { now &+ $0 }
        fired.removeAll(keepingCapacity: true)
        while true {
            let timeout = Self.timeoutMillis(now: Sys.monotonicNanos(), limit: limit, timer: timers.nextDeadline())
            if try backend.poll(timeoutMillis: timeout, interests: interests, into: &fired) { break }
            // EINTR: wait again for what is left of the time, never longer.
            if let limit, Sys.monotonicNanos() >= limit { break }
        }

        var worked = false
        var dispatched = 0
        let thisIteration = iterations
        for event in fired {
            if event.fd == waker.fd {
                waker.drain()
                continue
            }
            let interest = interests.interest(of: event.fd)
            // Registered during this dispatch: whatever fired belonged to an earlier owner.
            if interest.isEmpty || interests.registrationIteration(of: event.fd) == thisIteration { continue }
            var deliver = event.events.intersection(interest)
            guard !deliver.isEmpty else { continue }
            if event.events.contains(.hangup) { deliver.insert(.hangup) }
            dispatched += 1
            if handler.handle(fd: event.fd, events: deliver) { worked = true }
        }

        let after = Sys.monotonicNanos()
        while let action = timers.popDue(now: after) {
            worked = true
            action()
        }
        if !worked { idleIterations &+= 1 }
        return dispatched
    }

    /// Milliseconds to wait: the earlier of the caller's limit and the next timer, rounded up so
    /// the wait never ends before a deadline (which would spin), -1 when there is neither.
    static func timeoutMillis(now: UInt64, limit: UInt64?, timer: UInt64?) -> Int32 {
        let deadline: UInt64?
        switch (limit, timer) {
        case let (l?, t?): deadline = min(l, t)
        case let (l?, nil): deadline = l
        case let (nil, t?): deadline = t
        case (nil, nil): deadline = nil
        }
        guard let deadline else { return -1 }
        guard deadline > now else { return 0 }
        let millis = (deadline - now + 999_999) / 1_000_000
        return Int32(min(millis, UInt64(Int32.max)))
    }
}
