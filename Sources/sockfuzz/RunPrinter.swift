// Turns run events and results into terminal lines.

import ScenarioRunner

enum RunPrinter {
    static func print(_ event: RunEvent, verbose: Bool) {
        switch event {
        case .message(let text): Output.line(text)
        case .info(let text): if verbose { Output.line("  \(text)") }
        case .passed(let text): if verbose { Output.line("  ok: \(text)") }
        case .failed(let failure): Output.line(failure.description)
        case .serverStats(let stats):
            Output.line("  server: " + stats.fields.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
        case .skipped(let text): Output.line("  skipped: \(text)")
        case .progress: break
        case .reply(let text): if verbose, let text { Output.line("  \(text)") }
        }
    }

    static func summary(_ r: ScenarioResult) {
        var line = "\(r.status.rawValue.uppercased().padded(to: 6)) \(r.scenario) [\(r.against)] \(Format.seconds(r.durationSeconds))"
        if let t = r.totals {
            line += ", \(t.connected) conn, \(Format.bytes(t.bytesSent)) sent, \(Format.bytes(t.bytesReceived)) received"
            if let l = t.latencyMicros {
                line += ", p50 \(Format.seconds(l.p50 / 1e6)) p99 \(Format.seconds(l.p99 / 1e6))"
            }
        }
        if r.status == .failed { line += ", seed \(r.seed)" }
        if let note = r.note, r.status != .failed || r.failures.isEmpty { line += " (\(note))" }
        Output.line(line)
    }

    static func total(_ results: [ScenarioResult]) {
        let passed = results.filter { $0.status == .passed }.count
        let failed = results.filter { $0.status == .failed }.count
        let errored = results.filter { $0.status == .errored }.count
        let other = results.count - passed - failed - errored
        var line = "\(passed) passed, \(failed) failed"
        if errored > 0 { line += ", \(errored) could not run" }
        if other > 0 { line += ", \(other) skipped or interrupted" }
        Output.line(line)
    }
}
