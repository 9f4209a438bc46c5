// Fuzzer progress and results on the terminal.

import Fuzzing
import ScenarioRunner

enum FuzzPrinter {
    static func print(_ event: FuzzEvent, _ progress: ProgressLine) {
        switch event {
        case .progress(let runs, let ops, let rate, let connections, let failures):
            progress.update("runs \(runs)  operations \(ops) (\(Int(rate))/s)  connections \(connections)  failures \(failures)")
        case .found(let run, let failure, let signature, let operations):
            progress.finish()
            Output.line("run \(run) failed (\(signature)) after \(operations) operations:")
            Output.line(failure.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            Output.line("shrinking ...")
        case .shrunk(let from, let to, let steps, let attempts):
            Output.line("shrunk from \(from) to \(to) operations in \(steps) steps (\(attempts) runs)")
        case .wrote(let path):
            Output.line("minimal scenario written to \(path)")
            Output.line("replay: sockfuzz run \(path)")
        }
    }

    static func summary(_ s: FuzzSummary) {
        var line = "fuzz \(s.against): \(s.runs) runs, \(s.operations) operations, \(s.connections) connections in \(Format.seconds(s.seconds))"
        if let f = s.finding {
            line += ": FAILED (seed \(s.seed), run \(f.run))"
            Output.line(line)
            Output.line("minimal failing program (\(f.shrunkOperations) operations):")
            Output.line(f.scenario.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { "  " + $0 }.joined(separator: "\n"))
            Output.line(f.failure.description)
        } else {
            line += s.interrupted ? ": interrupted, no failure so far" : ": no failure"
            Output.line(line)
        }
    }

    static func asResult(_ s: FuzzSummary) -> ScenarioResult {
        ScenarioResult(scenario: "fuzz seed \(s.seed)", against: s.against,
                       status: s.finding != nil ? .failed : (s.interrupted ? .interrupted : .passed),
                       seed: s.seed, durationSeconds: s.seconds, failures: s.finding.map { [$0.failure] } ?? [],
                       note: s.finding.map { "run \($0.run); shrunk to \($0.shrunkOperations) operations in \($0.shrinkSteps) steps; \($0.scenarioPath ?? "not written")" }
                           ?? "\(s.runs) runs, \(s.operations) operations",
                       groups: [], totals: nil, server: nil)
    }
}
