// Fuzzer progress and results on the terminal.

import Fuzzing
import ScenarioLanguage
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
            Output.line("rerunning it to confirm, then shrinking ...")
        case .unconfirmed(let run, let failed, let tries, 0):
            Output.line("run \(run)'s failure came back in \(failed) of \(tries) fresh reruns: it rested on a wait's timing, so it is no finding; going on")
        case .unconfirmed(let run, let failed, let tries, let searching):
            Output.line("run \(run)'s failure came back in only \(failed) of \(tries) reruns (timing luck): kept; searching up to \(searching) more runs for one that reproduces")
        case .shrunk(let from, let to, let steps, let attempts, let deadline, let seconds):
            Output.line("shrunk from \(from) to \(to) operations in \(steps) steps (\(attempts) runs, check deadline \(ScenarioDuration(nanoseconds: Int64(deadline))), \(Format.seconds(seconds)))")
        case .replayed(let reproduced, let replays, let shrunk):
            Output.line("the \(shrunk ? "shrunk" : "original") program reproduced \(reproduced) of \(replays) replays")
        case .wrote(let path):
            Output.line("scenario written to \(path)")
        case .notWritten(let reason):
            Output.line("scenario NOT written: \(reason)")
        case .contentProgress(let runs, let rate, let classes, let transitions, let corpus, let restarts):
            progress.update("runs \(runs) (\(Int(rate))/s)  reply classes \(classes)  transitions \(transitions)  corpus \(corpus)"
                            + (restarts > 0 ? "  restarts \(restarts)" : ""))
        case .suspected(let run, let kind, let seen, let requests):
            progress.finish()
            Output.line("run \(run) failed: \(kind) after \(requests) request\(requests == 1 ? "" : "s"):")
            Output.line("  " + seen)
            Output.line("confirming on a fresh instance, then shrinking ...")
        }
    }

    static func summary(_ s: FuzzSummary) {
        var line = "fuzz \(s.against): \(Format.count(s.runs, "run")), \(Format.count(s.operations, "operation")), \(Format.count(s.connections, "connection")) in \(Format.seconds(s.seconds))"
        if let f = s.finding {
            line += ": FAILED (seed \(s.seed), run \(f.run))"
            Output.line(line)
            let what = f.shrunk ? "minimal failing program (\(f.shrunkOperations) operations)"
                                : "failing program, not shrunk (\(f.shrunkOperations) operations)"
            Output.line("\(what), reproduced \(f.reproduced) of \(f.replays) replays:")
            Output.line(f.scenario.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { "  " + $0 }.joined(separator: "\n"))
            Output.line(f.failure.description)
            if let path = f.scenarioPath {
                Output.line("written to \(path); replay: sockfuzz run \(path)")
            } else if let reason = f.notWritten {
                Output.error("sockfuzz: the finding was NOT written: \(reason)")
            }
        } else if s.internalError == nil {
            line += s.interrupted ? ": interrupted, no failure so far" : s.checkedNothing ? ": no run was made (the campaign ended before its first): nothing was checked" : ": no failure"
            Output.line(line)
        }
        if let c = s.content {
            Output.line("behaviour: \(c.classes) reply classes, \(c.transitions) transitions; corpus \(c.corpus) inputs"
                        + (c.corpusAdded > 0 ? " (\(c.corpusAdded) added to --corpus)" : "")
                        + (c.restarts > 0 ? "; server restarted \(c.restarts) times" : ""))
            if c.dismissed > 0 {
                Output.line("\(c.dismissed) failure\(c.dismissed == 1 ? "" : "s") seen once rested on a wait's timing and did not come back on fresh instances: not findings")
            }
        }
        if let internalError = s.internalError {
            Output.error("sockfuzz: \(internalError)")
        }
    }
}
