// `load SEL size=SIZE (depth=N | rate=R/s) duration=D [warmup=D]`: the selected connections are
// lent to the load generator for the run, then taken back; round trips join the group's latency
// histogram, so `expect SEL p99 < ...` reads them.

import ClientEngine
import Foundation
import Load
import ScenarioLanguage

extension ScenarioSession {
    func load(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ spec: LoadSpec) throws(RunStop) {
        let ids = try resolve(statement, selector)
        guard !ids.isEmpty else { throw fail(statement, expected: "connections to load", seen: "\(selector) selects none") }
        if let busy = ids.first(where: { !engine.isIdle($0) }) {
            let v = engine.view(busy)
            throw fail(statement, expected: "open, idle connections (nothing queued or in flight, not paused)",
                       seen: "\(v.name) is \(v.phase == .open ? "busy (expect echo first, or resume it)" : v.phase.rawValue)")
        }
        let plan = LoadPlan(messageSize: spec.size.bytes, pacing: spec.pacing, durationNanos: UInt64(spec.duration.nanoseconds),
                            warmupNanos: UInt64(spec.warmup?.nanoseconds ?? 0))
        let fds = engine.lend(ids)
        let generator: LoadGenerator
        do {
            generator = try LoadGenerator(fds: fds, plan: plan)
        } catch {
            engine.reclaim(ids, exchanged: Array(repeating: 0, count: ids.count), failed: [])
            throw fail(statement, expected: "a load generator", seen: "\(error)")
        }
        let result = generator.run(progress: { p in
            emit(.progress("load \(selector): \(Int(p.elapsedSeconds))s  \(Int(p.messagesPerSecond)) msg/s  errors \(p.errors)  connections \(p.connections)"))
        }, interrupted: { interrupt.isSet })
        engine.reclaim(ids, exchanged: generator.verifiedBytes, failed: Set(generator.failedConnections))
        if let group = selector.groupName {
            engine.recordLatencies(group, generator.histogram)
        } else {
            // `*`: each connection's group gets the run's round trips once.
            for group in Set(ids.map { engine.view($0).group }) { engine.recordLatencies(group, generator.histogram) }
        }
        loadResults.append(result)
        emit(.info(LoadSummary.line(result)))
        if interrupt.isSet { throw .interrupted }
        let problems = LoadVerdict.problems(result)
        if !problems.isEmpty {
            throw fail(statement, expected: "every echoed message intact on \(selector)", seen: problems.joined(separator: "; "))
        }
    }
}

/// One line for a load result, shared by the runner, the console and `sockfuzz load`.
public enum LoadSummary {
    public static func line(_ r: LoadResult) -> String {
        let pacing = r.depth.map { "depth \($0)" } ?? "rate \(Int(r.targetRate ?? 0))/s"
        var line = "load: \(r.connections) connections, \(r.messageSize) B messages, \(pacing): "
            + "\(Int(r.messagesPerSecond)) msg/s, \(String(format: "%.2f", r.megabytesPerSecond)) MB/s over \(String(format: "%.2f", r.seconds)) s; "
            + "\(r.messages) messages, \(r.verified) verified"
        if let l = r.latencyMicros {
            line += "; latency p50 \(Format.seconds(l.p50 / 1e6)) p90 \(Format.seconds(l.p90 / 1e6)) p99 \(Format.seconds(l.p99 / 1e6)) "
                + "p99.9 \(Format.seconds(l.p999 / 1e6)) max \(Format.seconds(l.max / 1e6))"
        }
        line += "; errors \(r.errors)"
        if let e = r.firstError { line += " (first: \(e))" }
        if r.unanswered > 0 { line += "; unanswered \(r.unanswered)" }
        if r.notSent > 0 { line += "; not sent \(r.notSent) (client saturated)" }
        if r.interrupted { line += "; interrupted" }
        return line
    }
}
