// A campaign as one test case of the JUnit report: failed by a finding or the fuzzer's own
// error, interrupted when stopped early, else passed; its note says how far it got.

import ScenarioRunner

extension FuzzSummary {
    public var asScenarioResult: ScenarioResult {
        let s = self
        let failed = s.finding != nil || s.internalError != nil
        var note = "\(Format.count(s.runs, "run")), \(Format.count(s.operations, "operation"))"
        if let f = s.finding {
            note = "run \(f.run); \(f.shrunk ? "shrunk to \(f.shrunkOperations) operations in \(f.shrinkSteps) steps" : "not shrunk"); reproduced \(f.reproduced) of \(f.replays) replays; \(f.scenarioPath ?? "not written: \(f.notWritten ?? "no --out")")"
        } else if let internalError = s.internalError {
            note = internalError
        } else if s.checkedNothing {
            note = "no run was made: nothing was checked"
        }
        return ScenarioResult(scenario: "fuzz seed \(s.seed)", against: s.against,
                              status: failed ? .failed : (s.interrupted ? .interrupted : s.checkedNothing ? .skipped : .passed),
                              seed: s.seed, durationSeconds: s.seconds, failures: s.finding.map { [$0.failure] } ?? [],
                              note: note, groups: [], totals: nil, server: nil)
    }
}
