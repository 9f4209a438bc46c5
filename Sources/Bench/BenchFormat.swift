// Number formatting shared by the terminal table and the HTML page: rates with thousands
// separators, latencies in the unit that keeps them short, ratios as "1.03x".

import Foundation

public enum BenchFormat {
    /// 1234567 -> "1,234,567".
    public static func count(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let n = Int(value.rounded())
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// Microseconds as "38.2 us", "412 us", "3.41 ms", "1.20 s". `micro` picks the symbol.
    public static func micros(_ value: Double?, micro: String = "µs") -> String {
        guard let value, value.isFinite else { return "-" }
        if value < 100 { return String(format: "%.1f ", value) + micro }
        if value < 10_000 { return String(format: "%.0f ", value) + micro }
        if value < 10_000_000 { return String(format: "%.2f ms", value / 1000) }
        return String(format: "%.2f s", value / 1e6)
    }

    /// "1.03x"; just under the `threshold` it is judged by it keeps a third decimal ("0.998x",
    /// "1.195x" against 1.2x), so a miss never reads as the threshold itself.
    public static func ratio(_ value: Double?, threshold: Double = 1.0) -> String {
        guard let value, value.isFinite else { return "-" }
        if value < threshold && value >= threshold - 0.005 { return String(format: "%.3fx", value) }
        return String(format: "%.2fx", value)
    }

    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.0f%%", value)
    }

    public static func bytes(_ value: Int) -> String {
        if value >= 1 << 20 { return String(format: "%.1f MiB", Double(value) / 1048576) }
        if value >= 1 << 10 { return String(format: "%.1f KiB", Double(value) / 1024) }
        return "\(value) B"
    }

    public static func seconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.1f s", value) : String(format: "%.0f s", value)
    }

    /// How far the runs of a cell spread around the reported (median) one: "±12%"; "-" for one run.
    public static func spread(_ runs: [Double], around median: Double) -> String {
        guard runs.count > 1, median > 0, let lo = runs.min(), let hi = runs.max() else { return "-" }
        return String(format: "±%.0f%%", (hi - lo) / 2 / median * 100)
    }

    /// A target's measured figure in its unit.
    public static func measured(_ t: TargetResult) -> String {
        guard let m = t.measured else { return "-" }
        switch t.unit {
        case "bytes": return String(format: "%.0f B/conn", m)
        case "us": return ProxyBenchSection.signedMicros(m)
        default: return ratio(m)
        }
    }
}
