// Figures as result lines print them: durations in the unit that reads best, counts with their
// noun, sizes in binary units, errno by name.

import Foundation
import Syscalls

public enum Format {
    public static func seconds(_ s: Double) -> String {
        if s < 1e-3 { return String(format: "%.0f µs", s * 1e6) }
        if s < 1 { return String(format: "%.1f ms", s * 1e3) }
        return String(format: "%.2f s", s)
    }

    public static func nanos(_ n: UInt64) -> String { seconds(Double(n) / 1e9) }

    /// "1 run", "2 runs": a count and its noun, singular for one.
    public static func count<T: BinaryInteger>(_ n: T, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    public static func bytes<T: BinaryInteger>(_ n: T) -> String {
        let v = Double(n)
        if v < 1024 { return "\(n) B" }
        if v < 1024 * 1024 { return String(format: "%.1f KiB", v / 1024) }
        if v < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", v / 1024 / 1024) }
        return String(format: "%.2f GiB", v / 1024 / 1024 / 1024)
    }

    public static func errno(_ e: Int32) -> String { SystemError.describe(e) }
}
