// The backend contract: what every backend, driven through EventLoop, must do. Each test runs
// against busy, select, epoll and edge-triggered epoll, with socket pairs or loopback TCP pairs
// and a recording handler.

import CSockfuzz
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("Backend contract", .sharesDescriptorTable, .timeLimit(.minutes(2)))
struct BackendContractTests {
    // MARK: readiness

    @Test("readable after the peer writes", arguments: LoopFlavor.all)
    func readableAfterPeerWrites(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a, b) = try makeSocketPair()
        defer { Sys.close(a); Sys.close(b) }
        try loop.setInterest(a, .readable)
        let handler = RecordingHandler()
        loop.schedule(afterNanos: seconds(5)) {} // bounds a wait that ignores its limit

        if flavor.waits {
            try loop.runOnce(handler, maxWaitNanos: 0)
            #expect(handler.deliveries(for: a).isEmpty, "readable reported before the peer wrote")
        }

        try writeAll(b, Array("ping".utf8))
        try runLoop(loop, handler, maxCalls: 50) { handler.received[a]?.count == 4 }

        #expect(handler.received[a] == Array("ping".utf8))
        #expect(handler.deliveries(for: a).contains { $0.events.contains(.readable) })
    }

    @Test("a new socket is writable at once", arguments: LoopFlavor.all)
    func newSocketIsWritable(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (client, server) = try makeTCPPair()
        defer { Sys.close(client); Sys.close(server) }
        try loop.setInterest(client, .writable)
        let handler = RecordingHandler()

        let start = nowNanos()
        try loop.runOnce(handler, maxWaitNanos: seconds(5))
        let took = elapsedSeconds(since: start)

        #expect(handler.deliveries(for: client).contains { $0.events.contains(.writable) },
                "first iteration delivered \(handler.deliveries)")
        #expect(took < 1, "waited \(took) s for a writable socket")
    }

    enum HangUp: String, CaseIterable, Sendable {
        /// The peer of a socket pair closes: an orderly EOF.
        case close
        /// The peer of a TCP connection closes with SO_LINGER 0: RST.
        case reset
    }

    @Test("peer hang-up is seen: the handler's read gets EOF or an error", arguments: LoopFlavor.all, HangUp.allCases)
    func peerHangUpIsSeen(flavor: LoopFlavor, hangUp: HangUp) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let local: Int32, peer: Int32
        switch hangUp {
        case .close: (local, peer) = try makeSocketPair()
        case .reset: (local, peer) = try makeTCPPair()
        }
        defer { Sys.close(local) }
        try loop.setInterest(local, .readable)
        let handler = RecordingHandler()

        if hangUp == .reset { try Sys.setLingerZero(peer) }
        Sys.close(peer)
        try runLoop(loop, handler, maxCalls: 50) {
            handler.outcomes[local]?.contains { $0 == .eof || $0 == .error(ECONNRESET) } == true
        }

        let outcomes = handler.outcomes[local] ?? []
        switch hangUp {
        case .close: #expect(outcomes.contains(.eof), "reads met \(outcomes)")
        case .reset: #expect(outcomes.contains(.error(ECONNRESET)), "reads met \(outcomes)")
        }
    }

    // MARK: changing interest during dispatch

    @Test("removing a descriptor while events are being dispatched delivers nothing more for it", arguments: LoopFlavor.all)
    func removalDuringDispatch(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a1, b1) = try makeSocketPair()
        let (a2, b2) = try makeSocketPair()
        defer { for fd in [a1, b1, a2, b2] { Sys.close(fd) } }
        try loop.setInterest(a1, .readable)
        try loop.setInterest(a2, .readable)
        // Both readable before the wait, so both are in the same batch.
        try writeAll(b1, [1])
        try writeAll(b2, [2])

        let handler = RecordingHandler()
        handler.readOnReadable = false
        var removed: Int32?
        handler.hook = { fd, _ in
            guard removed == nil else { return }
            let other = fd == a1 ? a2 : a1
            loop.forget(other)
            removed = other
        }
        let dispatched = try loop.runOnce(handler, maxWaitNanos: seconds(5))
        let gone = try #require(removed, "no event was dispatched")

        #expect(dispatched == 1, "dispatched \(handler.deliveries) after removing fd \(gone)")
        #expect(handler.deliveries(for: gone).isEmpty)
        #expect(loop.interest(of: gone) == .none)

        // Still readable (its byte is unread), but no longer watched: never delivered again.
        for _ in 0..<5 { try loop.runOnce(handler, maxWaitNanos: millis(10)) }
        #expect(handler.deliveries(for: gone).isEmpty, "delivered after removal: \(handler.deliveries(for: gone))")
    }

    // MARK: timeouts and timers

    @Test("a zero timeout does not block", arguments: LoopFlavor.all)
    func zeroTimeoutDoesNotBlock(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a, b) = try makeSocketPair()
        defer { Sys.close(a); Sys.close(b) }
        try loop.setInterest(a, .readable)
        let handler = RecordingHandler()

        var slowest: Double = 0
        let start = nowNanos()
        for _ in 0..<20 {
            // A far timer: a loop that wrongly waits blocks until it instead of forever.
            let guardTimer = loop.schedule(afterNanos: seconds(2)) {}
            let one = nowNanos()
            try loop.runOnce(handler, maxWaitNanos: 0)
            slowest = max(slowest, elapsedSeconds(since: one))
            loop.cancel(guardTimer)
            if slowest > 1 { break }
        }
        let total = elapsedSeconds(since: start)

        #expect(total < 1, "20 zero-timeout iterations took \(total) s")
        #expect(slowest < 0.5, "the slowest zero-timeout iteration took \(slowest) s")
        if flavor.waits {
            #expect(handler.deliveries(for: a).isEmpty, "nothing was ready: \(handler.deliveries)")
        }
    }

    @Test("timers fire in deadline order, equal deadlines in insertion order, cancelled timers never", arguments: LoopFlavor.all)
    func timerOrder(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let handler = RecordingHandler()
        var fired: [String] = []
        let base = nowNanos() + millis(30)
        loop.schedule(atNanos: base + millis(30)) { fired.append("late") }
        loop.schedule(atNanos: base + millis(10)) { fired.append("tie-1") }
        let cancelled = loop.schedule(atNanos: base + millis(10)) { fired.append("cancelled-tie") }
        loop.schedule(atNanos: base + millis(10)) { fired.append("tie-2") }
        let cancelledAlone = loop.schedule(atNanos: base + millis(20)) { fired.append("cancelled") }
        loop.schedule(atNanos: base) { fired.append("first") }
        loop.schedule(atNanos: base + millis(10)) { fired.append("tie-3") }
        loop.cancel(cancelled)
        loop.cancel(cancelledAlone)
        #expect(loop.pendingTimers == 5)

        try runLoop(loop, handler, maxWait: millis(100)) { loop.pendingTimers == 0 }
        // A little longer, in case a cancelled timer would still fire.
        let settle = nowNanos() + millis(50)
        try runLoop(loop, handler, maxWait: millis(10)) { nowNanos() >= settle }

        #expect(fired == ["first", "tie-1", "tie-2", "tie-3", "late"])
    }

    @Test("a timer fires on time with nothing else happening, never before its deadline", arguments: LoopFlavor.all)
    func timerFiresOnTime(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a, b) = try makeSocketPair()
        defer { Sys.close(a); Sys.close(b) }
        try loop.setInterest(a, .readable) // watched, never ready
        let watchdog = Watchdog(after: 5) { _ = Glibc.write(b, "w", 1) }
        defer { watchdog.cancel() }
        let handler = RecordingHandler()
        let deadline = nowNanos() + millis(150)
        var firedAt: UInt64?
        loop.schedule(atNanos: deadline) { firedAt = nowNanos() }

        let calls = try runLoop(loop, handler, maxWait: nil, timeout: 10) { firedAt != nil }

        let when = try #require(firedAt, "the timer never fired")
        let lateness = millisBetween(deadline, when)
        #expect(lateness >= 0, "fired \(-lateness) ms early")
        #expect(lateness < 1000, "fired \(lateness) ms late")
        if flavor.waits {
            // Slept in the kernel until the deadline rather than spinning towards it.
            #expect(calls <= 3, "took \(calls) iterations to reach a 150 ms timer")
        }
    }

    // MARK: cross-thread stop and signals

    @Test("waker.stop() from another thread makes run() return promptly", arguments: LoopFlavor.all)
    func stopFromAnotherThread(flavor: LoopFlavor) throws {
        struct State: Sendable {
            var waker: LoopWaker?
            var peer: Int32 = -1
            var returnedAt: UInt64?
            var error: String?
        }
        let state = Shared(State())
        let thread = TestThread {
            do {
                let loop = try flavor.makeLoop()
                defer { loop.close() }
                let (a, b) = try makeSocketPair()
                defer { Sys.close(a); Sys.close(b) }
                try loop.setInterest(a, .readable) // watched, idle: no timer, nothing ready
                state.update { $0.waker = loop.waker; $0.peer = b }
                try loop.run(RecordingHandler())
            } catch {
                state.update { $0.error = "\(error)" }
            }
            state.update { $0.returnedAt = nowNanos() }
        }
        defer { #expect(thread.join(timeout: 10), "the loop thread did not finish") }

        try #require(waitUntil(timeout: 10) { state.value.waker != nil || state.value.error != nil })
        try #require(state.value.error == nil, "\(state.value.error ?? "")")
        sleepMillis(30) // let it settle into its wait (pacing only)
        let stoppedAt = nowNanos()
        state.value.waker!.stop()
        let returned = waitUntil(timeout: 5) { state.value.returnedAt != nil }
        if !returned {
            // Unblock a loop that missed the stop, so the test fails instead of hanging.
            _ = Glibc.write(state.value.peer, "x", 1)
        }

        #expect(returned, "run() did not return within 5 s of stop()")
        if let at = state.value.returnedAt, returned {
            #expect(millisBetween(stoppedAt, at) < 1000, "run() returned \(millisBetween(stoppedAt, at)) ms after stop()")
        }
    }

    @Test("a signal during the wait (EINTR) neither drops a timer nor returns before the deadline", arguments: LoopFlavor.all)
    func signalDuringWait(flavor: LoopFlavor) throws {
        installNoOpHandlerWithoutRestart(for: SIGUSR1)
        struct State: Sendable {
            var phase = 0 // 1: waiting on a timer, 2: waiting on maxWait, 3: done
            var timerDeadline: UInt64 = 0
            var firedAt: UInt64?
            var timerFirings = 0
            var firstReturnAt: UInt64?
            var waitStart: UInt64 = 0
            var waitReturnAt: UInt64?
            var error: String?
        }
        let state = Shared(State())
        let thread = TestThread {
            do {
                let loop = try flavor.makeLoop()
                defer { loop.close() }
                let handler = RecordingHandler()
                // Phase 1: only a timer 400 ms out; runOnce(nil) must not return before it fires.
                let deadline = nowNanos() + millis(400)
                loop.schedule(atNanos: deadline) {
                    state.update { $0.firedAt = nowNanos(); $0.timerFirings += 1 }
                }
                state.update { $0.timerDeadline = deadline; $0.phase = 1 }
                let limit = Deadline(secondsFromNow: 10)
                while state.value.firedAt == nil && !limit.hasPassed {
                    try loop.runOnce(handler, maxWaitNanos: nil)
                    state.update { if $0.firstReturnAt == nil { $0.firstReturnAt = nowNanos() } }
                }
                // Phase 2: no timer, a 300 ms limit; the wait must last it out.
                let start = nowNanos()
                state.update { $0.waitStart = start; $0.phase = 2 }
                try loop.runOnce(handler, maxWaitNanos: millis(300))
                state.update { $0.waitReturnAt = nowNanos() }
                // Nothing else may fire afterwards.
                try loop.runOnce(handler, maxWaitNanos: millis(20))
            } catch {
                state.update { $0.error = "\(error)" }
            }
            state.update { $0.phase = 3 }
        }
        defer { #expect(thread.join(timeout: 10), "the loop thread did not finish") }

        let before = signalsHandled
        for phase in 1...2 {
            try #require(waitUntil(timeout: 10) { state.value.phase >= phase })
            // Interrupt the wait a few times, well inside its length.
            for _ in 0..<4 {
                sleepMillis(40)
                if state.value.phase == phase { #expect(thread.send(signal: SIGUSR1) == 0) }
            }
        }
        try #require(waitUntil(timeout: 15) { state.value.phase == 3 })
        let s = state.value
        try #require(s.error == nil, "\(s.error ?? "")")

        #expect(signalsHandled > before, "no signal reached the loop thread")
        let fired = try #require(s.firedAt, "the timer was dropped")
        #expect(s.timerFirings == 1)
        #expect(fired >= s.timerDeadline, "timer fired \(millisBetween(fired, s.timerDeadline)) ms early")
        if flavor.waits {
            let first = try #require(s.firstReturnAt)
            #expect(first >= s.timerDeadline, "runOnce returned \(millisBetween(first, s.timerDeadline)) ms before the timer's deadline")
            let back = try #require(s.waitReturnAt)
            #expect(millisBetween(s.waitStart, back) >= 300, "runOnce(maxWait: 300 ms) returned after \(millisBetween(s.waitStart, back)) ms")
        }
    }

    // MARK: descriptor limits

    @Test("select refuses a descriptor at or above FD_SETSIZE and leaves the interest table unchanged")
    func selectRefusesHighDescriptor() throws {
        raiseOpenFileLimit()
        let loop = try EventLoop<SelectBackend>()
        defer { loop.close() }
        let (a, b) = try makeSocketPair()
        defer { Sys.close(a); Sys.close(b) }
        let high = try duplicate(a, atOrAbove: fdSetSize)
        defer { Sys.close(high) }
        #expect(high >= fdSetSize)
        #expect(SelectBackend.descriptorLimit == fdSetSize)

        try loop.setInterest(b, .readable)
        let watchedBefore = loop.interests.count

        #expect(throws: SystemError.self) { try loop.setInterest(high, .readable) }
        #expect(throws: SystemError.self) { try loop.setInterest(high, .readWrite) }
        #expect(loop.interest(of: high) == .none)
        #expect(loop.interests.count == watchedBefore)
        #expect(!loop.interests.watched.contains(high))

        // The loop goes on working for the descriptors it does hold.
        let handler = RecordingHandler()
        try writeAll(a, [42])
        try runLoop(loop, handler, maxCalls: 20) { handler.received[b] != nil }
        #expect(handler.received[b] == [42])
        #expect(handler.deliveries(for: high).isEmpty)
    }

    @Test("busy and epoll watch descriptors above FD_SETSIZE", arguments: LoopFlavor.all.filter { $0.kind != .select })
    func highDescriptorsElsewhere(flavor: LoopFlavor) throws {
        raiseOpenFileLimit()
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a, b) = try makeSocketPair()
        defer { Sys.close(a); Sys.close(b) }
        let high = try duplicate(b, atOrAbove: fdSetSize + 100)
        defer { Sys.close(high) }
        try loop.setInterest(high, .readable)
        let handler = RecordingHandler()
        try writeAll(a, [7])
        try runLoop(loop, handler, maxCalls: 20) { handler.received[high] != nil }
        #expect(handler.received[high] == [7])
    }
}
