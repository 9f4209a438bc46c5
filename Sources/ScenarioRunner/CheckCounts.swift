// How many checks (expectations, and `fuzz` statements) a run made: held, failed, or skipped
// (a share without the connections, a server check against a third-party target). A skipped
// check is counted apart: it checked nothing, so it is never a pass.

import ScenarioLanguage

public struct CheckCounts: Sendable, Codable, Equatable {
    public var passed = 0
    public var failed = 0
    public var skipped = 0

    public init(passed: Int = 0, failed: Int = 0, skipped: Int = 0) {
        self.passed = passed
        self.failed = failed
        self.skipped = skipped
    }

    /// Why a whole run with these counts checked nothing (no pass: exit 2), or nil when one check
    /// held or failed. `run`, its reports and the console say it in these words.
    public var nothingChecked: String? {
        guard passed == 0 && failed == 0 else { return nil }
        return skipped > 0 ? "nothing was checked: all \(skipped) check\(skipped == 1 ? " was" : "s were") skipped under these options"
                           : "nothing was checked: no check was made (expect, load or fuzz)"
    }

    public mutating func add(_ other: CheckCounts) {
        passed += other.passed
        failed += other.failed
        skipped += other.skipped
    }

    /// Whether `command` is a check, as its form in the command table says. A block's checks
    /// are counted one by one as they run.
    static func isCheck(_ command: Command) -> Bool { command.spec.isCheck }
}
