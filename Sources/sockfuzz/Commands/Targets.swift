// `--target HOST:PORT`: parsed, then probed once, so an unreachable server is one clear line
// (exit 2) before any scenario runs.

import ArgumentParser
import ScenarioRunner
import Syscalls

enum Targets {
    /// Parses HOST:PORT (the host kept as written: the one value the rest of the run carries) and
    /// checks that something accepts connections there.
    static func reachableTarget(_ text: String, option: String) throws -> Target {
        let target: Target
        do {
            target = try Target.parse(text)
        } catch {
            Output.error("sockfuzz: \(option) \(text): \(error.description)")
            throw ExitCode(2)
        }
        // The probe counts a reset as reachable (something accepted): what the target does with
        // connections is for the run to judge (exit 1), not a usage error.
        let errno = ScenarioRunner.probe(target.address)
        guard errno == 0 else {
            Output.error("sockfuzz: \(option) \(text): cannot connect: \(Format.errno(errno))")
            throw ExitCode(2)
        }
        return target
    }
}
