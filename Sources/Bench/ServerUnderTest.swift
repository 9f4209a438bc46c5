// One server under test as a separate process: `sockfuzz serve --mode M --port 0` (this very
// executable; its port is parsed from the line it prints) or `echo_ref PORT MODE` (on a port
// found free by binding port 0). Started on the server CPU, ready once a connect succeeds.

import Glibc
import Syscalls

public final class ServerUnderTest {
    public let id: ServerID
    public let process: ChildProcess
    public let address: SocketAddress
    /// Sockets the server holds with no client connected: its listener.
    public let baseSockets: Int

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `id`; `selfExecutable` runs `serve`, `echoRef` is the built reference server.
    public static func start(_ id: ServerID, selfExecutable: String, echoRef: String?, scratch: String,
                             pinning: Pinning) throws(StartError) -> ServerUnderTest {
        let log = "\(scratch)/\(id.implementation.rawValue)-\(id.mode).log"
        switch id.implementation {
        case .sockfuzz:
            let (child, address) = try spawnReportingPort([selfExecutable, "serve", "--mode", id.mode, "--port", "0"],
                                                          name: "\(id)", log: log, pinning: pinning)
            return try ready(id, child, address, pinning)
        case .echoRef:
            guard let echoRef else { throw StartError(description: "echo_ref is not built") }
            var lastProblem = ""
            // A port found free may be taken before echo_ref binds it: try a few.
            for _ in 0..<3 {
                guard let port = try? Sys.freeLoopbackPort() else { throw StartError(description: "no free port on 127.0.0.1") }
                let child: ChildProcess
                do {
                    child = try pinning.onServerCPU { try ChildProcess([echoRef, String(port), id.mode], logPath: log) }
                } catch { throw StartError(description: "\(error)") }
                do {
                    return try ready(id, child, SocketAddress.loopback(port: port), pinning)
                } catch {
                    lastProblem = error.description
                }
            }
            throw StartError(description: lastProblem)
        }
    }

    private init(id: ServerID, process: ChildProcess, address: SocketAddress, baseSockets: Int) {
        self.id = id
        self.process = process
        self.address = address
        self.baseSockets = baseSockets
    }

    /// Spawns `arguments` on the server CPU: a server on a port of its choice that prints
    /// "listening on HOST:PORT" (sockfuzz serve, tls_echo_ref); its loopback address.
    static func spawnReportingPort(_ arguments: [String], name: String, log: String,
                                   pinning: Pinning) throws(StartError) -> (ChildProcess, SocketAddress) {
        let child: ChildProcess
        do { child = try pinning.onServerCPU { try ChildProcess(arguments, logPath: log) } } catch {
            throw StartError(description: "\(error)")
        }
        guard let line = child.waitForLine(containing: "listening on ", timeoutNanos: 10_000_000_000),
              let port = parsePort(line) else {
            child.stop()
            throw StartError(description: "\(name) did not report its port: \(child.standardOutput) \(child.logTail())")
        }
        return (child, SocketAddress.loopback(port: port))
    }

    /// Waits until `child` accepts on `address`, then pins all its threads to the server CPU.
    static func waitAccepting(_ child: ChildProcess, _ address: SocketAddress, name: String,
                              pinning: Pinning) throws(StartError) {
        guard waitUntilAccepting(address, child: child, timeoutNanos: 10_000_000_000) else {
            child.stop()
            throw StartError(description: "\(name) on \(address) never accepted a connection: \(child.logTail())")
        }
        // Threads started before the spawn-time affinity took effect (none expected) are pinned too.
        if pinning.enabled { ProcessProbe.pinProcess(child.pid, to: pinning.serverCPU) }
    }

    private static func ready(_ id: ServerID, _ child: ChildProcess, _ address: SocketAddress,
                              _ pinning: Pinning) throws(StartError) -> ServerUnderTest {
        try waitAccepting(child, address, name: "\(id)", pinning: pinning)
        let server = ServerUnderTest(id: id, process: child, address: address, baseSockets: 1)
        _ = server.waitForConnections(0, timeoutNanos: 2_000_000_000)
        return server
    }

    /// Waits until the server holds exactly `count` client connections (its sockets less the
    /// listener), so one cell's connections are gone before the next cell starts.
    @discardableResult
    public func waitForConnections(_ count: Int, timeoutNanos: UInt64 = 5_000_000_000) -> Bool {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        while true {
            if let held = ProcessProbe.socketCount(process.pid), held - baseSockets == count { return true }
            if !process.isRunning || Sys.monotonicNanos() >= deadline { return false }
            usleep(10_000)
        }
    }

    public var isRunning: Bool { process.isRunning }

    public func stop() { process.stop() }

    // MARK: helpers

    /// "... listening on 127.0.0.1:40123, mode epoll" -> 40123.
    static func parsePort(_ line: String) -> Int? {
        guard let range = line.range(of: "listening on ") else { return nil }
        let rest = line[range.upperBound...].prefix { $0 != "," && $0 != " " }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)...])
    }

    /// Connects (and closes) until a connect succeeds, the child dies, or the time runs out. Each
    /// try waits half a second and resets (no TIME_WAIT left by the many tries of a start).
    static func waitUntilAccepting(_ address: SocketAddress, child: ChildProcess, timeoutNanos: UInt64) -> Bool {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        while Sys.monotonicNanos() < deadline {
            if case .success = TCPConnect.tryOnce(address, within: 500_000_000, reset: true) { return true }
            if !child.isRunning { return false }
            usleep(5_000)
        }
        return false
    }
}

/// Servers on one CPU, clients (this process and loadc) on another, when there are two.
public struct Pinning: Sendable {
    public var enabled: Bool
    public var serverCPU = 0
    public var clientCPU = 1
    /// In words, for the report: what was pinned where, or why nothing was.
    public var description: String

    public init(enabled: Bool, description: String) {
        self.enabled = enabled
        self.description = description
    }

    /// Pins this process to the client CPU when the machine has two or more.
    public static func setUp() -> Pinning {
        let cpus = ProcessProbe.onlineCPUs()
        guard cpus >= 2 else { return Pinning(enabled: false, description: "not pinned: \(cpus) CPU online") }
        var p = Pinning(enabled: true, description: "servers pinned to CPU 0, clients (sockfuzz bench, loadc) to CPU 1")
        guard ProcessProbe.pinProcess(getpid(), to: p.clientCPU) else {
            p.enabled = false
            p.description = "not pinned: sched_setaffinity refused (\(String(cString: strerror(errno))))"
            return p
        }
        return p
    }

    /// Runs `body` (a spawn) with the calling thread on the server CPU, so the child inherits it.
    public func onServerCPU<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard enabled else { return try body() }
        ProcessProbe.pinCallingThread(to: serverCPU)
        defer { ProcessProbe.pinCallingThread(to: clientCPU) }
        return try body()
    }
}
