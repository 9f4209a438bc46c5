// How much work `sockfuzz fuzz` spends on a finding once it has one: candidate runs and time
// for shrinking, and replays of the written file. The defaults make the smallest file that
// fails reliably; a smaller budget trades that for time (a quick look, a CI smoke run).

import ArgumentParser
import ScenarioLanguage

struct FindingBudgetOptions: ParsableArguments {
    @Option(help: "Most candidate programs tried while shrinking a finding (default 300).", transform: ValueArguments.count)
    var shrinkAttempts: Int?

    @Option(help: "Most time spent shrinking a finding (e.g. 30s; default 2m).", transform: ValueArguments.duration)
    var shrinkTime: ScenarioDuration?

    @Option(help: "Replays of the written file that its header counts (default 5).", transform: ValueArguments.count)
    var replays: Int?

    func validate() throws {
        if let shrinkAttempts, !(1...100_000).contains(shrinkAttempts) { throw ValidationError("--shrink-attempts must be 1...100000, not \(shrinkAttempts)") }
        if let shrinkTime, shrinkTime.nanoseconds < 1_000_000_000 { throw ValidationError("--shrink-time must be at least 1s, not \(shrinkTime)") }
        if let replays, !(1...100).contains(replays) { throw ValidationError("--replays must be 1...100, not \(replays)") }
    }

    /// Sets what was given on a configuration's budget fields.
    func apply(attempts: inout Int, seconds: inout Double, replays written: inout Int) {
        if let shrinkAttempts { attempts = shrinkAttempts }
        if let shrinkTime { seconds = Double(shrinkTime.nanoseconds) / 1e9 }
        if let replays { written = replays }
    }
}
