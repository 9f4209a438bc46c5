// Runs the sections of a plan and returns the report. Servers are separate processes on the
// server CPU; the load generator runs here on the client CPU. Progress goes to a closure (the
// library never prints); `interrupted` is polled between and inside cells.
//   (1) every server under the same load     (2) the cost curve: idle connections + one ping-pong
//   (3) the load client against loadc        (4) RSS per idle connection (BenchRunner+Clients)
//   (5) request/response load beside redis-benchmark (BenchRunner+Redis)
//   (6) TLS handshakes/s and echo beside tls_echo_ref and openssl s_time (BenchRunner+TLS)
//   (7) sockfuzz proxy pass-through beside relay_ref and socat (BenchRunner+Proxy)

import Foundation
import Glibc
import Load
import Syscalls

public final class BenchRunner {
    let plan: BenchPlan
    let progress: (String) -> Void
    let interrupted: () -> Bool
    var pinning = Pinning(enabled: false, description: "not set up")
    var tools = ReferenceTools()
    var skipped: [Skip] = []
    var notes: [String] = []
    var killed: Set<ServerID> = []

    public init(plan: BenchPlan, progress: @escaping (String) -> Void = { _ in }, interrupted: @escaping () -> Bool = { false }) {
        self.plan = plan
        self.progress = progress
        self.interrupted = interrupted
    }

    public func run(command: String) -> BenchReport {
        let started = Sys.monotonicNanos()
        let date = ISO8601DateFormatter().string(from: Date())
        let load = ProcessProbe.loadAverage()
        pinning = Pinning.setUp()
        progress(pinning.description)
        mkdir(plan.scratchDir, 0o755)
        let needsReference = !plan.sections.isDisjoint(with: [1, 3, 6, 7])
        if needsReference {
            tools = ReferenceTools.build(refDir: plan.refDir, scratch: plan.scratchDir, tls: plan.sections.contains(6))
            if let p = tools.echoRefProblem { progress("echo_ref unavailable: \(p)") }
            if let p = tools.loadcProblem, !plan.sections.isDisjoint(with: [3, 7]) { progress("loadc unavailable: \(p)") }
        }
        let machine = BenchReport.Machine(cpus: ProcessProbe.onlineCPUs(), kernel: ProcessProbe.kernel(),
                                          cpuModel: ProcessProbe.cpuModel(), pinned: pinning.enabled,
                                          pinning: pinning.description, loadAverageAtStart: load)
        let settings = BenchReport.Settings(messageSize: plan.messageSize, measuredSeconds: plan.measuredSeconds,
                                            warmupSeconds: plan.warmupSeconds, runs: plan.runs,
                                            sections: plan.sections.sorted())
        var report = BenchReport(date: date, command: command, quick: plan.quick, machine: machine, settings: settings)
        if plan.sections.contains(1) && !interrupted() { report.servers = runServers() }
        if plan.sections.contains(2) && !interrupted() { report.costCurve = runCostCurve() }
        if plan.sections.contains(3) && !interrupted() { (report.clients, report.connects) = runClients() }
        if plan.sections.contains(4) && !interrupted() { report.idleMemory = runIdleMemory() }
        if plan.sections.contains(5) && !interrupted() { report.requestLoad = runRequestLoad() }
        if plan.sections.contains(6) && !interrupted() { report.tls = runTLS() }
        if plan.sections.contains(7) && !interrupted() { report.proxy = runProxy() }
        if interrupted() { notes.append("interrupted: the figures are those measured before the interrupt") }
        report.skipped = skipped
        report.notes = notes
        report.elapsedSeconds = Double(Sys.monotonicNanos() - started) / 1e9
        report.machine.loadAverageAtEnd = ProcessProbe.loadAverage()
        return BenchTargets.evaluate(report)
    }

    func skip(_ section: Int, _ what: String, _ reason: String, byDesign: Bool = false) {
        skipped.append(Skip(section: section, what: what, reason: reason, byDesign: byDesign))
        progress("(\(section)) skipped \(what): \(reason)")
    }

    func startServer(_ id: ServerID) throws(ServerUnderTest.StartError) -> ServerUnderTest {
        try ServerUnderTest.start(id, selfExecutable: plan.selfExecutable, echoRef: tools.echoRef,
                                  scratch: plan.scratchDir, pinning: pinning)
    }

    /// Stops `server`, noting (once per server) if it had to be killed: a server that ignores
    /// SIGTERM costs every cell the grace period.
    func stop(_ server: ServerUnderTest) {
        server.stop()
        if server.process.neededKill && !killed.contains(server.id) {
            killed.insert(server.id)
            notes.append("\(server.id) did not exit within 1.5 s of SIGTERM and was killed (SIGKILL)")
        }
    }

    // MARK: (1) servers under the same load

    private struct CellKey: Hashable {
        var server: ServerID
        var connections: Int
        var depth: Int
    }

    func runServers() -> [ServerCell] {
        var servers = ServerID.all
        if tools.echoRef == nil {
            servers.removeAll { $0.implementation == .echoRef }
            skip(1, "echo_ref cells", tools.echoRefProblem ?? "echo_ref not built")
        }
        var samples: [CellKey: [LoadMeasurement]] = [:]
        var failed: Set<ServerID> = []
        for run in 0..<plan.runs {
            // Alternate the order between runs, so a slow drift (another build) hits every server.
            for id in run % 2 == 0 ? servers : servers.reversed() where !failed.contains(id) && !interrupted() {
                let server: ServerUnderTest
                do { server = try startServer(id) } catch {
                    failed.insert(id)
                    skip(1, "\(id)", error.description)
                    continue
                }
                defer { stop(server) }
                for connections in plan.loadConnections where !interrupted() {
                    let fds: [Int32]
                    do { (_, fds) = try LoadCell.connect(connections, to: server.address, interrupted: interrupted) } catch {
                        skip(1, "\(id), \(connections) connections", error.description)
                        continue
                    }
                    if fds.count < connections {
                        notes.append("(1) \(id): only \(fds.count) of \(connections) connections opened")
                    }
                    for depth in plan.loadDepths where !interrupted() {
                        do {
                            let m = try LoadCell.measure(fds: fds, messageSize: plan.messageSize, depth: depth,
                                                         warmupSeconds: plan.warmupSeconds, measuredSeconds: plan.measuredSeconds,
                                                         serverPID: server.process.pid, interrupted: interrupted)
                            samples[CellKey(server: id, connections: connections, depth: depth), default: []].append(m)
                            progress("(1) \(String(describing: id).padded(15)) \(connections.description.leftPadded(5)) conns depth \(depth.description.leftPadded(2)): "
                                     + "\(BenchFormat.count(m.result.messagesPerSecond).leftPadded(9)) msgs/s  p99 \(BenchFormat.micros(m.latency?.p99, micro: "us"))"
                                     + (plan.runs > 1 ? "  [run \(run + 1)/\(plan.runs)]" : ""))
                        } catch {
                            skip(1, "\(id), \(connections) connections, depth \(depth)", error.description)
                        }
                    }
                    LoadCell.closeAll(fds)
                    server.waitForConnections(0)
                }
            }
        }
        var cells: [ServerCell] = []
        for id in ServerID.all {
            for connections in plan.loadConnections {
                for depth in plan.loadDepths {
                    let runs = samples[CellKey(server: id, connections: connections, depth: depth)] ?? []
                    guard let m = LoadCell.median(runs, by: { $0.result.messagesPerSecond }) else { continue }
                    cells.append(ServerCell(server: id, connections: m.result.connections, depth: depth,
                                            messagesPerSecond: m.result.messagesPerSecond, latencyMicros: m.latency,
                                            serverCPUMicrosPerMessage: m.serverCPUMicrosPerMessage,
                                            serverCPUPercent: m.serverCPUPercent, clientCPUPercent: m.clientCPUPercent,
                                            runs: runs.map(\.result.messagesPerSecond),
                                            errors: runs.reduce(0) { $0 + $1.result.errors },
                                            firstError: runs.compactMap(\.result.firstError).first))
                }
            }
        }
        return cells
    }

    // MARK: (2) cost curve

    /// Descriptors a select-mode server holds besides its connections (stdio, listener, waker,
    /// reserve), with room to spare: the idle counts that fit below FD_SETSIZE.
    static let selectHeadroom = 16
    static let fdSetSize = 1024

    func runCostCurve() -> [CostPoint] {
        var points: [CostPoint] = []
        for mode in plan.costModes where !interrupted() {
            for idle in plan.idleCounts where !interrupted() {
                if mode == "select" && idle + 1 + Self.selectHeadroom > Self.fdSetSize {
                    skip(2, "select with \(idle) idle connections", "select(2) watches descriptors below FD_SETSIZE (\(Self.fdSetSize)) only", byDesign: true)
                    continue
                }
                if let point = costPoint(mode: mode, idle: idle) { points.append(point) }
            }
        }
        return points
    }

    private func costPoint(mode: String, idle: Int) -> CostPoint? {
        let id = ServerID(.sockfuzz, mode)
        let server: ServerUnderTest
        do { server = try startServer(id) } catch {
            skip(2, "\(mode) with \(idle) idle", error.description)
            return nil
        }
        defer { stop(server) }
        let fds: [Int32]
        do { (_, fds) = try LoadCell.connect(idle + 1, to: server.address, interrupted: interrupted) } catch {
            skip(2, "\(mode) with \(idle) idle", error.description)
            return nil
        }
        defer { LoadCell.closeAll(fds) }
        if fds.count < idle + 1 {
            notes.append("(2) \(mode): only \(fds.count - 1) of \(idle) idle connections opened")
        }
        // The idle ones have echoed their one byte and now sit still; the last one plays ping-pong.
        let active = [fds[fds.count - 1]]
        var runs: [LoadMeasurement] = []
        for run in 0..<plan.runs where !interrupted() {
            do {
                let m = try LoadCell.measure(fds: active, messageSize: plan.messageSize, depth: 1,
                                             warmupSeconds: plan.warmupSeconds, measuredSeconds: plan.measuredSeconds,
                                             serverPID: server.process.pid, interrupted: interrupted)
                runs.append(m)
                progress("(2) \(mode.padded(6)) \(String(fds.count - 1).leftPadded(5)) idle: "
                         + "\(BenchFormat.count(m.result.messagesPerSecond).leftPadded(8)) round trips/s, "
                         + "server CPU \(BenchFormat.micros(m.serverCPUMicrosPerMessage, micro: "us"))/msg"
                         + (plan.runs > 1 ? "  [run \(run + 1)/\(plan.runs)]" : ""))
            } catch {
                skip(2, "\(mode) with \(idle) idle", error.description)
                return nil
            }
        }
        guard let m = LoadCell.median(runs, by: { $0.result.messagesPerSecond }) else { return nil }
        return CostPoint(mode: mode, idleConnections: fds.count - 1, roundTripsPerSecond: m.result.messagesPerSecond,
                         latencyMicros: m.latency, serverCPUMicrosPerMessage: m.serverCPUMicrosPerMessage,
                         serverCPUPercent: m.serverCPUPercent, runs: runs.map(\.result.messagesPerSecond),
                         errors: runs.reduce(0) { $0 + $1.result.errors })
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
