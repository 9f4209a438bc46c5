// What `fuzz --metrics-listen` exposes: each campaign's runs, operations and connections as its
// progress events report them (once per run, on the fuzzer's thread, under a lock), its findings,
// and whether it still runs. After a campaign, its summary.

import Fuzzing
import Results
import Synchronization

public final class FuzzMetrics: Sendable {
    private struct Campaign: Sendable {
        var against: String
        var runs = 0
        var operations = 0
        var connections = 0
        var findings = 0
        var running = true
    }

    private let campaigns = Mutex<[Campaign]>([])
    private let segment: String

    public init(segment: String) { self.segment = segment }

    /// A campaign against `against` begins (one per mode).
    public func start(_ against: String) {
        campaigns.withLock { $0.append(Campaign(against: against)) }
    }

    public func observe(_ event: FuzzEvent) {
        campaigns.withLock { all in
            guard !all.isEmpty else { return }
            switch event {
            case .progress(let runs, let operations, _, let connections, _):
                all[all.count - 1].runs = runs
                all[all.count - 1].operations = operations
                all[all.count - 1].connections = connections
            case .found:
                all[all.count - 1].findings += 1
            default:
                break
            }
        }
    }

    /// The campaign is over: its summary, so a scrape now agrees with the report.
    public func finish(_ summary: FuzzSummary) {
        campaigns.withLock { all in
            guard !all.isEmpty else { return }
            all[all.count - 1].runs = summary.runs
            all[all.count - 1].operations = summary.operations
            all[all.count - 1].connections = summary.connections
            all[all.count - 1].findings = summary.finding == nil ? 0 : 1
            all[all.count - 1].running = false
        }
    }

    public func render() -> String {
        let now = campaigns.withLock { $0 }
        typealias F = PrometheusText.Family
        typealias S = PrometheusText.Sample
        func per(_ value: (Campaign) -> Int) -> [S] {
            now.map { S(labels: [("against", $0.against), ("segment", segment)], Double(value($0))) }
        }
        return PrometheusText.render([
            F("sockfuzz_fuzz_running", .gauge, "1 while the campaign runs, 0 once its summary is final.", per { $0.running ? 1 : 0 }),
            F("sockfuzz_fuzz_runs_total", .counter, "Runs (random programs) completed.", per(\.runs)),
            F("sockfuzz_fuzz_operations_total", .counter, "Operations applied over the runs.", per(\.operations)),
            F("sockfuzz_fuzz_connections_total", .counter, "Connections the runs started.", per(\.connections)),
            F("sockfuzz_fuzz_findings_total", .counter, "Runs that failed a check (each a finding).", per(\.findings)),
        ])
    }
}
