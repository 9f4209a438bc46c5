// `load SEL size=SIZE (depth=N | rate=R/s) duration=D [warmup=D]` (or `request="..." framing=F
// [expect="regex"]` for any request/response server): the selected connections are lent to the
// load runner for the run, then taken back; round trips join the group's latency histogram,
// so `expect SEL p99 < ...` reads them. Over TLS the run goes through the connections' own sessions
// (lent with them, still the engine's; see LentConnections).

import ClientEngine
import Foundation
import Framing
import Load
import ScenarioLanguage

extension ScenarioSession {
    func load(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ spec: LoadSpec) throws(RunStop) {
        // A share owning none of the selection has nothing to load (resolve said so).
        guard let ids = try judged(statement, selector) else { return }
        // One load run speaks TLS on every connection or on none.
        if let secured = ids.first(where: { engine.view($0).tls != nil }), let clear = ids.first(where: { engine.view($0).tls == nil }) {
            throw fail(statement, expected: "connections that all speak TLS or all clear text (load them one group at a time)",
                       seen: "\(engine.view(secured).name) speaks TLS, \(engine.view(clear).name) clear text", how: .other)
        }
        if let busy = ids.first(where: { !engine.isIdle($0) }) {
            let v = engine.view(busy)
            throw fail(statement, expected: "open, idle connections (nothing queued or in flight, not paused)",
                       seen: "\(v.name) is \(v.phase == .open ? "busy (expect echo first, or resume it)" : v.phase.rawValue)", how: .other)
        }
        let pacing = shares.pacing(spec.pacing, own: ids.count, whole: shares.wholeSize(of: selector))
        let duration = UInt64(spec.duration.nanoseconds)
        let warmup = UInt64(spec.warmup?.nanoseconds ?? 0)
        var framing: Framing?
        if let requests = spec.requests {
            framing = requests.framing ?? engine.view(ids[0]).framing
            guard let framing, framing != .raw else {
                throw fail(statement, expected: "a framing for the replies (framing= on load, or the group's connect framing= / set framing)",
                           seen: "\(engine.view(ids[0]).name)'s group has \(framing.map { "framing \($0)" } ?? "none")", how: .other)
            }
        }
        // TLS connections are lent with their SSL objects: the load runs inside the same sessions.
        let lent = engine.lend(ids)
        let progress = { (p: LoadProgress) in
            self.emit(.progress("load \(selector): \(Int(p.elapsedSeconds))s  \(Int(p.messagesPerSecond)) \(spec.requests == nil ? "msg/s" : "req/s")  errors \(p.errors)  connections \(p.connections)"))
        }
        let result: LoadResult
        /// Adds the run's round trips to a group's latency histogram.
        let recordLatencies: (String) -> Void
        /// Bytes each connection exchanged, as the engine's echo model counts them.
        var exchanged = Array(repeating: UInt64(0), count: ids.count)
        var failed: [Int]
        /// Lent connections still mid-message (ended on reclaim over TLS only: see below).
        let unfinished: [Int]
        do {
            let job: LoadJob
            if let requests = spec.requests, let framing {
                // Request bytes and replies are outside the engine's echo model: none are counted as
                // exchanged, but the groups' figures count them (a run's "B sent, B received").
                job = .requests(RequestLoadPlan(mix: RequestMix([requests.request]), framing: framing, expect: requests.expect,
                                                pacing: pacing, durationNanos: duration, warmupNanos: warmup))
            } else {
                job = .echo(LoadPlan(messageSize: spec.size.bytes, pacing: pacing, durationNanos: duration, warmupNanos: warmup))
            }
            let outcome = try job.run(fds: lent.fds, transports: lent.transports, progress: progress, interrupted: { interrupt.isSet })
            result = outcome.result
            (failed, unfinished) = (outcome.failedConnections, outcome.unfinishedConnections)
            recordLatencies = { self.engine.recordLatencies($0, outcome.histogram) }
            if let verified = outcome.verifiedBytes { exchanged = verified }
            for (k, moved) in (outcome.traffic ?? []).enumerated() {
                engine.countTraffic(engine.view(ids[k]).group, sent: moved.sent, received: moved.received)
            }
        } catch {
            engine.reclaim(ids, exchanged: exchanged, failed: [])
            throw fail(statement, expected: "a load generator", seen: "\(error)", how: .other)
        }
        // TLS: a half-sent record cannot be continued by the engine's own writes; those connections end.
        // Clear text is kept open on purpose: the stream holds exactly the bytes written, so the
        // engine's writes continue it, and the server's echo of the partial message shows as extra
        // bytes to later checks. Its messages were unanswered anyway, so this statement fails below
        // (or was interrupted) whether or not the connection is counted failed.
        if lent.isTLS { failed += unfinished }
        engine.reclaim(ids, exchanged: exchanged, failed: Set(failed))
        if let group = selector.groupName {
            recordLatencies(group)
        } else {
            // `*`: each connection's group gets the run's round trips once.
            for group in Set(ids.map { engine.view($0).group }) { recordLatencies(group) }
        }
        loadResults.append(result)
        emit(.info(LoadSummary.line(result)))
        if interrupt.isSet { throw .interrupted }
        let problems = LoadVerdict.problems(result, whole: segment.isWhole)
        if !problems.isEmpty {
            throw fail(statement, expected: spec.requests == nil ? "every echoed message intact on \(selector)"
                                                : "a reply matching on every request on \(selector)", seen: problems.joined(separator: "; "), how: .other)
        }
    }
}
