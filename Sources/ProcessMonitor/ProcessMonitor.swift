// Keeps one instance of the server under test running for a campaign: restarts it after a crash
// (recording how it ended and the last lines of its stderr) or a hang (ending it by its process
// group first), and starts fresh instances for confirming a finding.

import Syscalls

public final class ProcessMonitor: @unchecked Sendable {
    public let command: SpawnCommand
    /// Where the server listens when the command does not choose its port (`{port}`).
    public let target: SocketAddress?
    public private(set) var current: ServerProcess
    /// Instances started after the first.
    public private(set) var restarts = 0

    /// How an instance ended, with what it last wrote to stderr.
    public struct Exit: Sendable, Hashable, Codable, CustomStringConvertible {
        public var end: ProcessEnd
        public var stderr: [String]

        public var description: String {
            "the server process \(end)" + (stderr.isEmpty ? "" : "; its stderr ended: \(stderr.joined(separator: " | "))")
        }
    }

    public init(_ command: SpawnCommand, target: SocketAddress? = nil) throws(ServerProcess.StartError) {
        self.command = command
        self.target = target
        current = try ServerProcess.start(command, target: target)
    }

    deinit { current.stop() }

    /// Where the running instance accepts connections.
    public var address: SocketAddress { current.address }

    /// How the running instance ended, if it has (reaped now).
    public func exit() -> Exit? {
        current.poll().map { Exit(end: $0, stderr: current.stderrTail()) }
    }

    /// Ends the running instance if it still runs (a hang) and starts a fresh one.
    public func restart() throws(ServerProcess.StartError) {
        current.stop()
        current = try ServerProcess.start(command, target: target)
        restarts += 1
    }

    public func stop() { current.stop() }
}
