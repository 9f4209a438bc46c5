// Prometheus text exposition format 0.0.4: per metric family a `# HELP` and a `# TYPE` line,
// then its samples (`name{label="value"} number`). Only rendering: no registry, no I/O.

public enum PrometheusText {
    /// The Content-Type a scrape response carries.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum Kind: String, Sendable { case counter, gauge, summary }

    public struct Sample: Sendable {
        /// Appended to the family name (`_sum`, `_count`), or empty.
        public var suffix: String
        public var labels: [(String, String)]
        public var value: Double

        public init(suffix: String = "", labels: [(String, String)] = [], _ value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    public struct Family: Sendable {
        public var name: String
        public var help: String
        public var kind: Kind
        public var samples: [Sample]

        public init(_ name: String, _ kind: Kind, _ help: String, _ samples: [Sample]) {
            self.name = name
            self.help = help
            self.kind = kind
            self.samples = samples
        }
    }

    public static func render(_ families: [Family]) -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(escape(family.help, quotes: false))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                text += family.name + sample.suffix
                if !sample.labels.isEmpty {
                    text += "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1, quotes: true))\"" }.joined(separator: ",") + "}"
                }
                text += " " + number(sample.value) + "\n"
            }
        }
        return text
    }

    /// Integers without a fraction (exact up to 2^53), others as Swift prints them (Go's
    /// ParseFloat reads both), and the format's own spellings of infinity and NaN.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Backslash and newline escaped (and double quotes in label values), as the format asks.
    static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.append(c)
            }
        }
        return out
    }
}
