// The server under test as a process (`spawn "CMD {port}"`, or `run --spawn`): started fresh
// for the session on a free port, the target of later connects, ended with the session; and
// `expect target alive`, which names how a server that stopped serving stopped (LivenessProbe).

import ProcessMonitor
import ScenarioLanguage
import Syscalls

extension ScenarioSession {
    /// `spawn "CMD"`: `--spawn` wins over the file's command (and its target lines).
    func spawn(_ statement: Statement, _ written: String) throws(RunStop) {
        if let given = configuration.spawn {
            emit(.info("\(statement.location): spawn ignored: --spawn '\(given)' wins"))
            return
        }
        let command: SpawnCommand
        do { command = try SpawnCommand(written) } catch {
            throw fail(statement, expected: "a command to spawn", seen: error.description, how: .other)
        }
        try startSpawned(statement, command)
    }

    /// `run --spawn`: the server starts before the first statement that could use it.
    func startConfiguredSpawn(_ statement: Statement) throws(RunStop) {
        guard let command = configuration.spawn, !serverSlot.spawnTried else { return }
        try startSpawned(statement, command)
    }

    private func startSpawned(_ statement: Statement, _ command: SpawnCommand) throws(RunStop) {
        let process: ServerProcess
        do { process = try serverSlot.spawn(command) } catch {
            throw fail(statement, expected: "the spawned server to accept connections", seen: error.description, how: .other)
        }
        emit(.info("spawned `\(command)` (process group \(process.pid)), listening on \(process.address)"))
    }

    /// `expect target alive [probe="..."] [match="re"] [within D]`.
    func expectAlive(_ statement: Statement, probe: [UInt8]?, match: String?, within: ScenarioDuration?) throws(RunStop) {
        try ensureTarget(statement)
        guard let address = serverSlot.connectAddress else {
            throw fail(statement, expected: "a target to probe", seen: "none", how: .other)
        }
        let check = LivenessProbe(request: probe, framing: defaultFraming, pattern: match)
        let expected = "a fresh connection to \(address) " + (probe == nil ? "accepted" : "answered")
            + (match.map { " matching /\($0)/" } ?? "") + " within \(Format.nanos(withinNanos(within)))"
            + (spawned == nil ? "" : ", the spawned server still running")
        if let verdict = check.check(address, withinNanos: withinNanos(within), process: spawned) {
            throw fail(statement, expected: expected, seen: verdict.seen, how: verdict.how)
        }
        // Without a probe only the kernel's handshake was seen: a hung server accepts too.
        emit(.passed(probe == nil ? "target \(address) accepts connections (no probe=: whether it answers was not checked)"
                                  : "target \(address) alive: answered the probe"))
    }
}
