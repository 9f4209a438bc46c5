// The longer test run: `SOCKFUZZ_LONG=1 swift test` (README). Long campaigns
// (hundreds of fuzz runs on correct servers, bigger samples, minutes against real servers) run
// there in full; the normal run keeps a short version of each, so every check still runs.

import Foundation
import Testing

public enum LongRun {
    public static var enabled: Bool { ProcessInfo.processInfo.environment["SOCKFUZZ_LONG"] == "1" }

    /// `long` in the long run, `normal` otherwise.
    public static func pick<T>(_ normal: T, long: T) -> T { enabled ? long : normal }
}

extension Trait where Self == ConditionTrait {
    /// Only in the long run (`SOCKFUZZ_LONG=1`); the normal run reports it skipped, with why.
    public static var longRunOnly: Self {
        .enabled(if: LongRun.enabled, "a long campaign: runs with SOCKFUZZ_LONG=1 (README, Tests and CI)")
    }
}
