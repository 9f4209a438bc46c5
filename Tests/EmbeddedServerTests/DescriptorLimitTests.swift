// The embedded server at the descriptor table's edges: select past FD_SETSIZE, nothing left
// behind by stop(), and EMFILE on accept. These count the process's descriptors, need the low
// numbers or lower RLIMIT_NOFILE, so the suite holds the descriptor gate alone (quiet access),
// once for all of them: it waits for a moment when nothing else holds the gate.

import EmbeddedServer
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

@Suite("Embedded echo server at the descriptor limits", .serialized, .needsQuietDescriptorTable, .timeLimit(.minutes(10)))
struct DescriptorLimitTests {
    @Test("select refuses connections past FD_SETSIZE cleanly and keeps serving the rest")
    func selectPastFDSetSize() throws {
        raiseOpenFileLimit()
        let (server, address) = try startServer(.select)
        defer { server.stop() }
        let early = try LoopbackClient(connectingTo: address)
        #expect(try early.echo(Array("low".utf8)) == Array("low".utf8))
        let crowd = ConnectionSet()
        defer { crowd.closeAll() }

        try crowd.open(to: address, count: 1100)
        let total: UInt64 = 1101
        #expect(waitUntil(timeout: 30) {
            let s = server.stats.snapshot()
            return s.accepted + s.refusedOverLimit == total
        }, "\(server.stats.snapshot())")

        let stats = server.stats.snapshot()
        #expect(stats.refusedOverLimit > 0)
        #expect(stats.otherErrors == 0)
        // The refused connections were closed, not left hanging.
        #expect(crowd.countEnded(expected: Int(stats.refusedOverLimit)) == Int(stats.refusedOverLimit))
        // The early, low-numbered connection is still served, and so is a new one once
        // descriptors are free again.
        #expect(try early.echo(Array("still low".utf8)) == Array("still low".utf8))
        crowd.closeAll()
        #expect(waitUntil(timeout: 20) { server.stats.snapshot().active == 1 })
        #expect(freshConnectionEchoes(address))
    }

    @Test("stop() leaves no descriptor behind, with connections open at stop time", arguments: ServerMode.all)
    func stopReleasesEverything(mode: ServerMode) throws {
        let before = openDescriptorTable()
        let (server, address) = try startServer(mode, queueLimit: 256 * 1024)
        defer { server.stop() } // already stopped unless a check below threw first
        let clients = ConnectionSet()
        defer { clients.closeAll() }
        try clients.open(to: address, count: 10)
        #expect(clients.echoAll().isEmpty)
        // One connection with a full queue and reading paused, one half-closed by the client.
        let stuck = try LoopbackClient(connectingTo: address)
        _ = try stuck.sendWithoutReading(upTo: 8 << 20, stallMillis: 300) {
            server.stats.snapshot().queueHighWater >= 256 * 1024
        }
        let halfClosed = try LoopbackClient(connectingTo: address)
        try halfClosed.send(Array("bye".utf8))
        try halfClosed.shutdownWrite()
        try #require(waitUntil(timeout: 10) {
            let s = server.stats.snapshot()
            return s.accepted == 12 && s.queueHighWater >= 256 * 1024 && s.peerEOFs == 1
        }, "\(server.stats.snapshot())")

        server.stop()

        // Only the test's own client ends remain.
        let clientEnds = Set(clients.descriptors + [stuck.fd, halfClosed.fd])
        let leftovers = descriptorsOpened(since: before).filter { entry in
            !clientEnds.contains(Int32(entry.prefix { $0 != " " })!)
        }
        // Compared by what each descriptor refers to, not counted: a probe of a test outside the
        // gate (a tool check at the start of the run) may close descriptors of its own meanwhile.
        #expect(leftovers.isEmpty, "descriptors left by the stopped server: \(leftovers)")
        #expect(!server.isRunning)
        // The server closed its ends: every client sees the stream end.
        #expect(clients.countEnded(expected: 10) == 10)
        #expect(stuck.hasEnded(within: 5) && halfClosed.hasEnded(within: 5))

        clients.closeAll()
        stuck.close()
        halfClosed.close()
        #expect(descriptorsOpened(since: before).isEmpty, "now: \(descriptorsOpened(since: before))")
        server.stop() // a second stop is harmless
    }

    @Test("EMFILE on accept sheds connections without spinning or crashing", arguments: ServerMode.all)
    func emfileOnAccept(mode: ServerMode) throws {
        raiseOpenFileLimit()
        let originalLimit = Sys.openFileLimit()
        let (server, address) = try startServer(mode)
        defer { server.stop() }
        let first = try LoopbackClient(connectingTo: address)
        #expect(try first.echo(Array("first".utf8)) == Array("first".utf8))
        try #require(waitUntil(timeout: 10) { server.stats.snapshot().accepted == 1 })

        // Every client socket is made before the limit drops: connecting needs no new
        // descriptor, accepting does.
        let extra = 48
        let clients = ConnectionSet()
        defer { clients.closeAll() }
        try clients.createSockets(count: extra, family: address.family)
        let lowered = openFileLimit(leavingFree: 6)
        try #require(Sys.setOpenFileLimit(lowered), "could not lower RLIMIT_NOFILE to \(lowered)")
        var restored = false
        defer { if !restored { Sys.setOpenFileLimit(originalLimit) } }

        try clients.connectAll(to: address)
        let settled = waitUntil(timeout: 15) {
            let s = server.stats.snapshot()
            return s.accepted &- 1 &+ s.shedOnEMFILE >= UInt64(extra)
        }
        let afterShedding = server.stats.snapshot()
        // One second with the process at its limit and nothing new arriving.
        sleepMillis(1000)
        let oneSecondLater = server.stats.snapshot()

        Sys.setOpenFileLimit(originalLimit)
        restored = true

        #expect(settled, "accepted \(afterShedding.accepted &- 1) + shed \(afterShedding.shedOnEMFILE) of \(extra) new connections")
        #expect(afterShedding.shedOnEMFILE > 0)
        #expect(server.isRunning)
        if mode.waits {
            let iterations = oneSecondLater.iterations &- afterShedding.iterations
            let idle = oneSecondLater.idleIterations &- afterShedding.idleIterations
            #expect(iterations < 1000, "\(iterations) iterations in one idle second at the descriptor limit")
            #expect(idle < 1000, "\(idle) idle iterations in one idle second at the descriptor limit")
        }
        // The shed connections were closed by the server; the accepted ones are served.
        #expect(clients.countEnded(expected: Int(afterShedding.shedOnEMFILE)) == Int(afterShedding.shedOnEMFILE))
        #expect(try first.echo(Array("after".utf8)) == Array("after".utf8))
        #expect(freshConnectionEchoes(address))
    }
}
