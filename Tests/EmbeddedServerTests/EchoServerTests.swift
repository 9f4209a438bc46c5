// The embedded echo server in every mode (busy, select, epoll, epoll edge-triggered).
//
// All server tests are one serialized hierarchy holding the descriptor gate exclusively:
// busy servers spin a core (this machine has two), descriptor counts must not be disturbed by
// other tests, and the EMFILE test lowers the process-wide open-file limit.

import EmbeddedServer
import Glibc
import Reactor
import Syscalls
import Testing
import TestSupport

// Each test holds the descriptor gate shared, so other suites' socket tests run beside these;
// those that open hundreds of sockets (a select server elsewhere would get descriptors past
// FD_SETSIZE) hold it alone. The tests at the descriptor limits are DescriptorLimitTests.
@Suite("Embedded echo server", .serialized, .timeLimit(.minutes(10)))
struct EchoServerTests {
    // MARK: echo

    /// select's descriptors must all be below FD_SETSIZE, and in this process every
    /// connection costs two (the test's client end and the server's end): 1000 connections
    /// would need about 2000. So select runs at 400 (about 800 descriptors plus what the
    /// process already holds); the other modes run at the full count.
    static let selectConnectionCap = 400

    @Test("echoes on N concurrent connections", arguments: ServerMode.all, [1, 100, 1000])
    func concurrentEcho(mode: ServerMode, connections requested: Int) async throws {
        // Hundreds of low descriptors (both ends are in this process) would push a select server
        // running in another test past FD_SETSIZE: the gate alone for those.
        try await DescriptorGate.with(requested >= 100 ? .ownSockets : .sockets) { try Self.echoOnConcurrentConnections(mode, requested) }
    }

    static func echoOnConcurrentConnections(_ mode: ServerMode, _ requested: Int) throws {
        raiseOpenFileLimit()
        let n = mode.kind == .select ? min(requested, Self.selectConnectionCap) : requested
        if mode.kind == .select {
            try #require(openDescriptorCount() + 2 * n + 16 < Int(fdSetSize), "too many descriptors open for select")
        }
        let (server, address) = try startServer(mode)
        defer { server.stop() }
        let set = ConnectionSet()
        defer { set.closeAll() }

        try set.open(to: address, count: n)
        let failures = set.echoAll(messageSize: 48)
        #expect(failures.isEmpty, "\(failures.count) of \(n) connections failed, first: \(failures.prefix(3))")
        // All of them were open on the server at once.
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().active == UInt64(n) },
                "active \(server.stats.snapshot().active), expected \(n)")

        set.closeAll()
        #expect(waitUntil(timeout: 20) { server.stats.snapshot().active == 0 },
                "active \(server.stats.snapshot().active) after every client closed")
        let stats = server.stats.snapshot()
        #expect(stats.accepted == UInt64(n))
        #expect(stats.bytesIn == UInt64(n * 48) && stats.bytesOut == UInt64(n * 48))
    }

    @Test("a 1 MiB payload is echoed intact", .sharesDescriptorTable, arguments: ServerMode.all)
    func largePayload(mode: ServerMode) throws {
        let (server, address) = try startServer(mode)
        defer { server.stop() }
        let payload = patternBytes(count: 1 << 20, seed: 0x1E1)
        let client = try LoopbackClient(connectingTo: address)

        let back = try client.roundTrip(payload, timeout: 30)

        #expect(back.count == payload.count)
        #expect(firstDifference(back, payload) == nil, "first difference at byte \(firstDifference(back, payload) ?? -1)")
    }

    // MARK: half-close

    @Test("half-close flushes everything before EOF", .sharesDescriptorTable, arguments: ServerMode.all)
    func halfCloseFlushes(mode: ServerMode) throws {
        let outcome = try halfCloseRoundTrip(mode)
        #expect(outcome.sawEOF, "the server never saw the client's EOF")
        // The check is meaningful only if the server held data when the EOF came.
        #expect(outcome.queuedAtEOF >= 1 << 20, "\(outcome.summary)")
        #expect(outcome.flushedEverything, "\(outcome.summary)")
    }

    @Test("an echo queued for a client that reads late is delivered without further input", .sharesDescriptorTable, arguments: ServerMode.all)
    func queuedEchoIsFlushedForLateReader(mode: ServerMode) throws {
        // Like the half-close test but the client never shuts down: nothing but the socket
        // becoming writable can make the server send what it queued.
        let outcome = try halfCloseRoundTrip(mode, shutDown: false)
        #expect(outcome.queuedAtEOF >= 1 << 20, "\(outcome.summary)")
        #expect(outcome.received.count == outcome.payload.count, "\(outcome.summary)")
        #expect(firstDifference(outcome.received, outcome.payload) == nil, "\(outcome.summary)")
    }

    @Test("the flush check catches a server that closes before flushing", .sharesDescriptorTable, arguments: ServerMode.all)
    func flushCheckCatchesCloseBeforeFlush(mode: ServerMode) throws {
        let outcome = try halfCloseRoundTrip(mode, fault: .closeBeforeFlush)
        #expect(outcome.sawEOF)
        #expect(!outcome.flushedEverything, "close-before-flush passed the check: \(outcome.summary)")
        #expect(outcome.received.count < outcome.payload.count, "\(outcome.summary)")
    }

    // MARK: resets

    @Test("a client reset is counted and the server goes on serving", .sharesDescriptorTable, arguments: ServerMode.all)
    func clientResetIsCounted(mode: ServerMode) throws {
        let limit = 256 * 1024
        let (server, address) = try startServer(mode, queueLimit: limit)
        defer { server.stop() }
        let bystander = try LoopbackClient(connectingTo: address)
        #expect(try bystander.echo(Array("before".utf8)) == Array("before".utf8))

        // Data in flight both ways: the client sends without reading until the server's
        // queue is full (echoed bytes queued for a client that does not read them).
        let client = try LoopbackClient(connectingTo: address)
        _ = try client.sendWithoutReading(upTo: 16 << 20, stallMillis: 300) {
            server.stats.snapshot().queueHighWater >= UInt64(limit)
        }
        try #require(waitUntil(timeout: 10) { server.stats.snapshot().queueHighWater >= UInt64(limit) },
                     "the server never queued a full queue: \(server.stats.snapshot())")
        client.reset()

        #expect(waitUntil(timeout: 20) { server.stats.snapshot().resets >= 1 },
                "resets \(server.stats.snapshot().resets), other errors \(server.stats.snapshot().otherErrors)")
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().active == 1 }, "the reset connection was not closed")
        #expect(server.stats.snapshot().otherErrors == 0)
        #expect(freshConnectionEchoes(address), "a fresh connection after the reset was not echoed")
        #expect(try bystander.echo(Array("after".utf8)) == Array("after".utf8))
    }

    // MARK: bounded memory

    @Test("a 50 MiB non-reading client leaves the queue bounded by the limit", .sharesDescriptorTable, arguments: ServerMode.all)
    func nonReadingClientIsBounded(mode: ServerMode) throws {
        let outcome = try nonReadingClient(mode, queueLimit: 256 * 1024)
        #expect(outcome.staysBounded, "\(outcome.summary)")
        // The queue did fill (the check is not vacuous) and the client was held back.
        #expect(outcome.highWater >= 256 * 1024, "\(outcome.summary)")
        #expect(outcome.sent < outcome.offered, "\(outcome.summary)")
    }

    @Test("the default 1 MiB queue limit holds for a 50 MiB non-reading client", .sharesDescriptorTable)
    func defaultLimitIsBounded() throws {
        let limit = ServerConfiguration().queueLimit
        #expect(limit == 1 << 20)
        let outcome = try nonReadingClient(.epoll, queueLimit: limit)
        #expect(outcome.staysBounded, "\(outcome.summary)")
        #expect(outcome.highWater >= UInt64(limit), "\(outcome.summary)")
    }

    @Test("the bounded-queue check catches a server that ignores the limit", .sharesDescriptorTable, arguments: ServerMode.all)
    func boundCheckCatchesUnboundedQueue(mode: ServerMode) throws {
        let outcome = try nonReadingClient(mode, queueLimit: 256 * 1024, fault: .unboundedQueue)
        #expect(!outcome.staysBounded, "unbounded-queue passed the check: \(outcome.summary)")
        #expect(outcome.highWater > 256 * 1024)
    }

    // MARK: many connections

    @Test("epoll serves 5000 concurrent connections", .ownsDescriptorTable, arguments: [ServerMode.epoll, .epollEdge])
    func epollServesFiveThousand(mode: ServerMode) throws {
        let limit = raiseOpenFileLimit()
        try #require(limit >= 12_000, "needs about 10000 descriptors, the soft limit is \(limit)")
        let (server, address) = try startServer(mode)
        defer { server.stop() }
        let set = ConnectionSet()
        defer { set.closeAll() }

        try set.open(to: address, count: 5000, batch: 500, timeout: 60)
        let failures = set.echoAll(messageSize: 16, timeout: 60)

        #expect(failures.isEmpty, "\(failures.count) of 5000 connections failed, first: \(failures.prefix(3))")
        #expect(waitUntil(timeout: 10) { server.stats.snapshot().active == 5000 }, "\(server.stats.snapshot())")
        #expect(server.stats.snapshot().refusedOverLimit == 0)
    }

    // MARK: lifecycle and stats

    @Test("stats are readable from another thread while the server runs", .sharesDescriptorTable, arguments: ServerMode.all)
    func statsFromAnotherThread(mode: ServerMode) throws {
        struct Reading: Sendable {
            var stop = false
            var snapshots = 0
            var regressions: [String] = []
            var latest = ServerStatsSnapshot()
        }
        let (server, address) = try startServer(mode)
        defer { server.stop() }
        let reading = Shared(Reading())
        let stats = server.stats
        let reader = TestThread {
            var previous = ServerStatsSnapshot()
            while !reading.value.stop {
                let s = stats.snapshot()
                var regressed: [String] = []
                for ((name, old), (_, new)) in zip(previous.fields, s.fields)
                where name != "active" && new < old {
                    regressed.append("\(name) \(old) -> \(new)")
                }
                reading.update {
                    $0.snapshots += 1
                    $0.regressions += regressed
                    $0.latest = s
                }
                previous = s
                sleepMillis(1)
            }
        }
        defer {
            reading.update { $0.stop = true }
            reader.join(timeout: 10)
        }

        let set = ConnectionSet()
        defer { set.closeAll() }
        try set.open(to: address, count: 20)
        #expect(set.echoAll(messageSize: 1024).isEmpty)
        let big = try LoopbackClient(connectingTo: address)
        let payload = patternBytes(count: 256 * 1024, seed: 9)
        #expect(try big.roundTrip(payload).count == payload.count)
        let expectedBytes = UInt64(20 * 1024 + payload.count)

        // The other thread sees the totals while the server is still running (and has read more than
        // once: with a busy server spinning a core, the reader once got its first turn only at the end).
        let seen = waitUntil(timeout: 10) {
            let s = reading.value.latest
            return reading.value.snapshots > 1 && s.accepted == 21 && s.bytesIn == expectedBytes && s.bytesOut == expectedBytes && s.active == 21
        }
        #expect(server.isRunning)
        reading.update { $0.stop = true }
        #expect(reader.join(timeout: 10))

        #expect(seen, "the reader's latest snapshot: \(reading.value.latest)")
        #expect(reading.value.snapshots > 1)
        #expect(reading.value.regressions.isEmpty, "counters went backwards: \(reading.value.regressions.prefix(5))")
    }

    /// A port number is unique per address only: a listener on 127.0.0.2 (or [::1]) may hold
    /// the embedded server's port number, and its connections are not the server's. Counting
    /// them once failed a correct server's `expect server descriptors == 0` in a full test run.
    @Test("held descriptors count the server's connections, not another address's on the same port", .sharesDescriptorTable)
    func heldDescriptorsMatchTheWholeAddress() throws {
        let (server, address) = try startServer(ServerMode.all.first { $0.kind == .epoll }!)
        defer { server.stop() }
        let twin = try SocketAddress.parse("127.0.0.2:\(address.port)")
        let listener = try listeningSocket(on: twin)
        defer { Glibc.close(listener) }
        let stranger = try LoopbackClient(connectingTo: twin)
        defer { stranger.close() }
        let accepted = try acceptOne(listener)
        defer { Glibc.close(accepted) }
        #expect(try Sys.localAddress(accepted) == twin, "the stranger's end holds the server's port on another address")

        #expect(server.heldDescriptors() == 0)

        // The twin: the server's own connection counts.
        let own = try LoopbackClient(connectingTo: address)
        defer { own.close() }
        #expect(waitUntil(timeout: 10) { server.heldDescriptors() == 1 }, "held \(server.heldDescriptors())")
    }

    /// The other half of matching the whole address: a server listening on 0.0.0.0 accepts on
    /// whichever address the client reached (here 127.0.0.1), never on 0.0.0.0 itself, so an
    /// exact match alone would count none of its connections and pass a leaking server.
    @Test("a wildcard listener's connections count, accepted on 127.0.0.1 though it listens on 0.0.0.0", .sharesDescriptorTable)
    func heldDescriptorsOfAWildcardListener() throws {
        let listener = try listeningSocket(on: try SocketAddress.parse("0.0.0.0:0"))
        defer { Glibc.close(listener) }
        let wildcard = try Sys.localAddress(listener)
        let client = try LoopbackClient(connectingTo: SocketAddress.loopback(port: wildcard.port))
        defer { client.close() }
        let accepted = try acceptOne(listener)
        defer { Glibc.close(accepted) }
        #expect(try Sys.localAddress(accepted) == SocketAddress.loopback(port: wildcard.port))

        #expect(Sys.connectedSockets(boundTo: wildcard) == 1, "the accepted end, not the listener nor the client's end")
    }
}
