// The stale-event rule: an event collected for a descriptor that was closed during dispatch
// must not reach a new socket that got the same number in that same dispatch. Runs alone
// (exclusive descriptor gate) because it depends on which number the kernel hands out next.

import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("Descriptor reuse", .needsQuietDescriptorTable, .timeLimit(.minutes(10)))
struct DescriptorReuseTests {
    @Test("a reused descriptor number gets no stale event", arguments: LoopFlavor.all)
    func reusedNumberGetsNoStaleEvent(flavor: LoopFlavor) throws {
        let loop = try flavor.makeLoop()
        defer { loop.close() }
        let (a1, b1) = try makeSocketPair()
        let (a2, b2) = try makeSocketPair()
        var toClose: Set<Int32> = [a1, b1, a2, b2]
        defer { for fd in toClose { Sys.close(fd) } }
        try loop.setInterest(a1, .readable)
        try loop.setInterest(a2, .readable)
        try writeAll(b1, [1])
        try writeAll(b2, [2])

        let handler = RecordingHandler()
        handler.readOnReadable = false
        var reused: Int32?          // the number closed and handed out again
        var replacementPeer: Int32?
        var setupError: String?
        var deliveriesAfterReuse: [RecordingHandler.Delivery] = []
        handler.hook = { fd, events in
            if reused != nil {
                deliveriesAfterReuse.append(.init(fd: fd, events: events))
                return
            }
            // First event: close the other descriptor and open sockets until one gets its number.
            let victim = fd == a1 ? a2 : a1
            loop.forget(victim)
            Sys.close(victim)
            toClose.remove(victim)
            for _ in 0..<64 {
                guard let (x, y) = try? makeSocketPair() else { break }
                toClose.formUnion([x, y])
                if x == victim || y == victim {
                    let fresh = x == victim ? x : y
                    do {
                        try loop.setInterest(fresh, .readable)
                    } catch {
                        setupError = "\(error)"
                    }
                    reused = victim
                    replacementPeer = fresh == x ? y : x
                    return
                }
            }
            setupError = "no new socket got descriptor \(victim) back"
        }

        let dispatched = try loop.runOnce(handler, maxWaitNanos: seconds(5))
        try #require(setupError == nil, "\(setupError ?? "")")
        let number = try #require(reused, "no event was dispatched")

        // The old socket's readable event was in this batch; it must not reach the new socket.
        let stale = deliveriesAfterReuse.filter { $0.fd == number }
        #expect(stale.isEmpty, "stale event delivered to the new socket on fd \(number): \(stale)")
        #expect(dispatched == 1, "dispatched \(handler.deliveries)")

        // The new registration is live: once its peer writes, it is reported as usual.
        handler.hook = nil
        handler.readOnReadable = true
        try writeAll(replacementPeer!, [9])
        try runLoop(loop, handler, maxCalls: 50) { handler.received[number] != nil }
        #expect(handler.received[number] == [9])
    }
}
