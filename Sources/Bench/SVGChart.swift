// Hand-written SVG: a grouped bar chart and a line chart over categories, on a linear or log10
// axis, with a legend, gridlines and a <title> tooltip per mark. Output is XML (every text
// escaped) so the page parses as XHTML. No scripts, no external assets.

import Foundation

public struct ChartSeries: Sendable {
    public var name: String
    public var color: String
    /// One value per category; nil leaves a gap.
    public var values: [Double?]

    public init(_ name: String, color: String, values: [Double?]) {
        self.name = name
        self.color = color
        self.values = values
    }
}

public struct Chart: Sendable {
    public enum Kind: Sendable { case bars, lines }
    public var id: String
    public var kind: Kind
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var series: [ChartSeries]
    public var logScale: Bool
    /// Unit suffix for tooltips ("msgs/s", "us").
    public var unit: String

    public init(id: String, kind: Kind, title: String, xLabel: String, yLabel: String, categories: [String],
                series: [ChartSeries], logScale: Bool = false, unit: String = "") {
        self.id = id
        self.kind = kind
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.logScale = logScale
        self.unit = unit
    }

    static let width = 560.0
    static let height = 330.0
    static let left = 72.0, right = 16.0, bottom = 48.0

    public func svg() -> String {
        let legendRows = legendLayout()
        let top = 34.0 + Double(legendRows.count) * 16 + 6
        let plotW = Self.width - Self.left - Self.right
        let plotH = Self.height - top - Self.bottom
        let values = series.flatMap { $0.values.compactMap { $0 } }.filter { $0.isFinite && (!logScale || $0 > 0) }
        let axis = Axis(values: values, log: logScale)
        func y(_ v: Double) -> Double { top + plotH * (1 - axis.fraction(v)) }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(xmlEscape(id))\" class=\"chart\" width=\"\(n(Self.width))\" "
            + "height=\"\(n(Self.height))\" viewBox=\"0 0 \(n(Self.width)) \(n(Self.height))\" role=\"img\" aria-label=\"\(xmlEscape(title))\">\n"
        out += "<title>\(xmlEscape(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(Self.width))\" height=\"\(n(Self.height))\" fill=\"#ffffff\"/>\n"
        out += text(Self.width / 2, 20, title, size: 14, anchor: "middle", weight: "bold")
        // Legend.
        for (row, items) in legendRows.enumerated() {
            for (x, s) in items {
                let ly = 34.0 + Double(row) * 16
                out += "<rect x=\"\(n(x))\" y=\"\(n(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>\n"
                out += text(x + 14, ly, s.name, size: 11)
            }
        }
        // Gridlines and y ticks.
        for tick in axis.ticks {
            let ty = y(tick)
            out += "<line x1=\"\(n(Self.left))\" y1=\"\(n(ty))\" x2=\"\(n(Self.left + plotW))\" y2=\"\(n(ty))\" stroke=\"#e3e3e3\"/>\n"
            out += text(Self.left - 6, ty + 4, compact(tick), size: 10, anchor: "end")
        }
        out += "<line x1=\"\(n(Self.left))\" y1=\"\(n(top))\" x2=\"\(n(Self.left))\" y2=\"\(n(top + plotH))\" stroke=\"#888888\"/>\n"
        out += "<line x1=\"\(n(Self.left))\" y1=\"\(n(top + plotH))\" x2=\"\(n(Self.left + plotW))\" y2=\"\(n(top + plotH))\" stroke=\"#888888\"/>\n"
        out += "<text x=\"14\" y=\"\(n(top + plotH / 2))\" font-size=\"11\" text-anchor=\"middle\" font-family=\"sans-serif\" "
            + "transform=\"rotate(-90 14 \(n(top + plotH / 2)))\">\(xmlEscape(yLabel + (logScale ? " (log scale)" : "")))</text>\n"
        out += text(Self.left + plotW / 2, Self.height - 8, xLabel, size: 11, anchor: "middle")

        let slot = plotW / Double(max(1, categories.count))
        for (i, category) in categories.enumerated() {
            out += text(Self.left + slot * (Double(i) + 0.5), top + plotH + 16, category, size: 11, anchor: "middle")
        }
        switch kind {
        case .bars:
            let barW = slot * 0.8 / Double(max(1, series.count))
            for (si, s) in series.enumerated() {
                for (i, value) in s.values.enumerated() where i < categories.count {
                    guard let value, value.isFinite, !logScale || value > 0 else { continue }
                    let x = Self.left + slot * Double(i) + slot * 0.1 + barW * Double(si)
                    let top = y(value)
                    out += "<rect x=\"\(n(x))\" y=\"\(n(top))\" width=\"\(n(barW - 1))\" height=\"\(n(max(0.5, y(axis.low) - top)))\" "
                        + "fill=\"\(s.color)\"><title>\(xmlEscape("\(s.name), \(categories[i]): \(full(value)) \(unit)"))</title></rect>\n"
                    if barW >= 22 {
                        out += text(x + (barW - 1) / 2, top - 3, compact(value), size: 9, anchor: "middle")
                    }
                }
            }
        case .lines:
            for s in series {
                var segment: [(Double, Double)] = []
                func flush() {
                    if segment.count > 1 {
                        out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\""
                            + segment.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") + "\"/>\n"
                    }
                    segment.removeAll()
                }
                for (i, value) in s.values.enumerated() where i < categories.count {
                    guard let value, value.isFinite, !logScale || value > 0 else { flush(); continue }
                    segment.append((Self.left + slot * (Double(i) + 0.5), y(value)))
                }
                flush()
                for (i, value) in s.values.enumerated() where i < categories.count {
                    guard let value, value.isFinite, !logScale || value > 0 else { continue }
                    let cx = Self.left + slot * (Double(i) + 0.5)
                    out += "<circle cx=\"\(n(cx))\" cy=\"\(n(y(value)))\" r=\"3.5\" fill=\"\(s.color)\">"
                        + "<title>\(xmlEscape("\(s.name), \(categories[i]): \(full(value)) \(unit)"))</title></circle>\n"
                    out += text(cx + 6, y(value) - 6, compact(value), size: 9)
                }
            }
        }
        out += "</svg>"
        return out
    }

    /// Legend entries laid out left to right, wrapping: (x, series) per row.
    private func legendLayout() -> [[(Double, ChartSeries)]] {
        var rows: [[(Double, ChartSeries)]] = [[]]
        var x = Self.left
        for s in series {
            let w = 14 + Double(s.name.count) * 6.5 + 14
            if x + w > Self.width - Self.right && !rows[rows.count - 1].isEmpty {
                rows.append([])
                x = Self.left
            }
            rows[rows.count - 1].append((x, s))
            x += w
        }
        return rows
    }

    private func text(_ x: Double, _ y: Double, _ s: String, size: Int, anchor: String = "start", weight: String = "normal") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\" font-family=\"sans-serif\" text-anchor=\"\(anchor)\""
            + (weight == "normal" ? "" : " font-weight=\"\(weight)\"") + ">\(xmlEscape(s))</text>\n"
    }

    private func n(_ v: Double) -> String { String(format: "%.1f", v) }

    private func full(_ v: Double) -> String { v >= 100 ? BenchFormat.count(v) : String(format: "%.2f", v) }
}

/// 1234 -> "1.2k", 2500000 -> "2.5M", 0.42 -> "0.42".
func compact(_ v: Double) -> String {
    let a = abs(v)
    func trim(_ s: String) -> String { s.hasSuffix(".0") ? String(s.dropLast(2)) : s }
    if a >= 1e9 { return trim(String(format: "%.1f", v / 1e9)) + "G" }
    if a >= 1e6 { return trim(String(format: "%.1f", v / 1e6)) + "M" }
    if a >= 1e4 { return String(format: "%.0f", v / 1e3) + "k" }
    if a >= 1e3 { return trim(String(format: "%.1f", v / 1e3)) + "k" }
    if a >= 10 || a == 0 { return String(format: "%.0f", v) }
    if a >= 1 { return trim(String(format: "%.1f", v)) }
    return String(format: "%.2g", v)
}

/// The value axis: [low, high] with round ticks, linear from 0 or log10 between powers of ten.
struct Axis {
    var low: Double
    var high: Double
    var log: Bool
    var ticks: [Double]

    init(values: [Double], log: Bool) {
        self.log = log
        if log {
            let lo = values.min() ?? 1, hi = values.max() ?? 10
            let a = Foundation.floor(Foundation.log10(max(lo, 1e-9)))
            var b = Foundation.ceil(Foundation.log10(max(hi, 1e-9)))
            if b <= a { b = a + 1 }
            low = Foundation.pow(10, a)
            high = Foundation.pow(10, b)
            ticks = stride(from: a, through: b, by: 1).map { Foundation.pow(10, $0) }
        } else {
            let hi = max(values.max() ?? 1, 1e-9)
            let step = Axis.niceStep(hi / 5)
            low = 0
            high = Foundation.ceil(hi * 1.08 / step) * step
            ticks = stride(from: 0, through: high + step / 2, by: step).map { $0 }
        }
    }

    func fraction(_ v: Double) -> Double {
        if log {
            let l = Foundation.log10(low), h = Foundation.log10(high)
            return (Foundation.log10(max(v, low)) - l) / (h - l)
        }
        return high > low ? (v - low) / (high - low) : 0
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let p = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        for m in [1.0, 2, 5, 10] where m * p >= raw { return m * p }
        return 10 * p
    }
}

/// Text and attribute values for XML: & < > " ' escaped, control characters replaced.
public func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n", "\r", "\r\n": out.append(c)
        // Other control characters are not allowed anywhere in an XML 1.0 document.
        case _ where c.unicodeScalars.contains { $0.value < 0x20 || (0xFFFE...0xFFFF).contains($0.value) }: out += "\u{FFFD}"
        default: out.append(c)
        }
    }
    return out
}
