// Checks made once before any fuzz run, each a usage problem when it fails: the programs these
// options generate parse, and the liveness oracle's probe gets an answer matching its pattern
// on a fresh connection (a wrong --expect is said at once, with the reply, not after minutes
// of shrinking a "failure" every run would have).

import Framing
import ScenarioLanguage
import ScenarioRunner

extension Fuzzer {
    /// What is wrong with `config` before anything runs, or nil.
    public static func preflight(_ config: FuzzConfiguration, interrupt: InterruptFlag = InterruptFlag()) -> String? {
        let ops = ProgramGenerator.generate(seed: config.seed, run: 0, settings: config.generator)
        let (items, _) = ProgramCompiler.compile(ops, compileSettings(config))
        do {
            _ = try ScenarioParser.parse(source: scenarioText(items, runSeed: 1, config), file: "<fuzz options>")
        } catch {
            return "these options generate programs that do not parse: \(error.message)"
        }
        guard case .liveness(let request, let pattern) = config.oracle else { return nil }
        let probe: Execution
        do {
            probe = try execute(items: [.probe], applied: 0, runSeed: 1, config, interrupt: interrupt, name: "<liveness probe>")
        } catch {
            return error.description
        }
        // A reset or a refused connection is the server's behaviour, for the runs to find;
        // an answer that does not match (or none at all) says the probe or pattern is wrong.
        guard let failure = probe.result.failures.first, let signature = probe.signature,
              ![.reset, .notAccepted].contains(signature.kind.how) else { return nil }
        return "a fresh connection's answer to --probe \(Excerpt.render(request)) does not match --expect '\(pattern)': \(failure.seen)"
    }
}
