// The merged result of a segmented test as one self-contained HTML page: the totals, the merged
// percentiles and the messages and p99 of every second, charted with the bench's SVG charts.

import Bench
import Foundation
import Histogram
import Load
import Results

public enum MergePage {
    public static func render(_ m: MergedLoad) -> String {
        let seconds = m.intervals.map { String(Int($0.startSeconds)) }
        // A rate, not a count: a last interval cut short (0.3 s of a second) is not a drop.
        let rates = Chart(id: "rate", kind: .bars, title: "Messages per second, all shares", xLabel: "second", yLabel: "messages/s",
                          categories: seconds,
                          series: [ChartSeries("messages/s", color: "#3b6ea5", values: m.intervals.map(Self.perSecond))],
                          unit: "msgs/s")
        let p99 = m.intervals.map { interval -> Double? in
            guard let h = try? HistogramEncoding.decode(base64: interval.histogram), h.totalCount > 0 else { return nil }
            return Double(h.valueAtPercentile(99)) / 1000
        }
        let latency = Chart(id: "p99", kind: .lines, title: "p99 round trip per second", xLabel: "second", yLabel: "µs",
                            categories: seconds, series: [ChartSeries("p99", color: "#b5523b", values: p99)], unit: "us")
        var rows = [("test", m.test), ("shares", "\(m.shares)"), ("verdict", m.passed ? "PASSED" : "FAILED"),
                    ("connections echoed", "\(m.echoed) of \(m.connectionsRequested)"), ("messages", "\(m.messages)"),
                    ("messages/s (all shares)", "\(Int(m.messagesPerSecond))"),
                    ("errors", "corrupted \(m.corrupted), connection errors \(m.connectionErrors), unanswered \(m.unanswered), not sent \(m.notSent)")]
        if let l = m.latencyMicros {
            rows.append(("latency", percentiles(l)))
        }
        for p in m.problems { rows.append(("problem", p)) }
        return document(heading: "sockfuzz merge: \(m.shares) shares", body: """
        \(keyValueTable(rows))
        \(rates.svg())
        \(latency.svg())
        """)
    }

    /// An interval's messages per second of its own length (nil for an empty one).
    static func perSecond(_ interval: LoadInterval) -> Double? {
        interval.seconds > 0 ? Double(interval.messages) / interval.seconds : nil
    }

    /// A table of one named value a row, every text escaped.
    public static func keyValueTable(_ rows: [(String, String)]) -> String {
        "<table>\n" + rows.map { "<tr><th>\(xmlEscape($0.0))</th><td>\(xmlEscape($0.1))</td></tr>\n" }.joined() + "</table>"
    }

    /// The page around `body` (HTML already escaped), with the one style sheet of every merge page.
    public static func document(title: String = "sockfuzz merge", heading: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(xmlEscape(title))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:60em}th{text-align:left;padding-right:1em;vertical-align:top}
        td{padding-right:1em;vertical-align:top}.unbroken{white-space:nowrap}.passed{color:#2e7d32}.failed{color:#b71c1c}</style>
        </head><body>
        <h1>\(xmlEscape(heading))</h1>
        \(body)
        </body></html>

        """
    }
}
