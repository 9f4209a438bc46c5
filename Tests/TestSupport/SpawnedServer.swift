// A third-party server process started for a test on a free loopback port, stopped by its pid.

import Foundation
import Glibc
import Syscalls

public final class SpawnedServer {
    public let process: Process
    public let address: SocketAddress

    private init(process: Process, address: SocketAddress) {
        self.process = process
        self.address = address
    }

    /// Starts `executable` with `arguments`, where `{port}` stands for a free port, and waits
    /// (up to 20 s) until it accepts connections.
    public static func start(_ executable: String, _ arguments: [String]) throws -> SpawnedServer {
        var lastError = "not started"
        for _ in 0..<3 {
            let port = try Sys.freeLoopbackPort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let address = SocketAddress.loopback(port: port)
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && process.isRunning {
                if case .success = TCPConnect.tryOnce(address, within: 1_000_000_000) { return SpawnedServer(process: process, address: address) }
                usleep(20_000)
            }
            lastError = process.isRunning ? "never accepted on \(port)" : "exited with \(process.terminationStatus)"
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        throw TestSetupError("\(executable): \(lastError)")
    }

    /// SIGKILL to this process only, then wait. A test server keeps nothing worth a graceful
    /// stop, and Foundation starts children with the test runner's blocked signals, so a
    /// SIGTERM would sit pending until a timeout (5 s per test, seen with redis-server).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
