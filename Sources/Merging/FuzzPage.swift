// A content campaign as one self-contained HTML page: the totals, the finding if any, and the
// reply classes and transitions found over time (the campaign's progress without
// instrumentation), charted with the bench's SVG charts.

import Bench
import Foundation
import Fuzzing
import ScenarioRunner

public enum FuzzPage {
    public static func render(_ s: FuzzSummary) -> String {
        var rows = [("against", s.against), ("seed", "\(s.seed)"), ("runs", "\(s.runs)"), ("requests sent", "\(s.operations)"),
                    ("seconds", Format.seconds(s.seconds)),
                    ("verdict", s.finding != nil ? "FAILED" : (s.interrupted ? "INTERRUPTED" : "PASSED"))]
        if let c = s.content {
            rows += [("reply classes", "\(c.classes)"), ("transitions", "\(c.transitions)"), ("corpus", "\(c.corpus) inputs (\(c.corpusAdded) added to --corpus)"),
                     ("server restarts", "\(c.restarts)")]
        }
        if let f = s.finding {
            rows += [("finding", "\(f.signature): \(f.failure.seen)"), ("trigger", f.trigger ?? "-"),
                     ("replays", f.replayVerdict ?? "reproduced \(f.reproduced) of \(f.replays)"),
                     ("file", f.scenarioPath ?? "not written")]
        }
        let curve = s.content?.curve ?? []
        let chart = Chart(id: "classes", kind: .lines, title: "Behaviour found over time", xLabel: "second", yLabel: "count",
                          categories: curve.map { String(format: "%.1f", $0.seconds) },
                          series: [ChartSeries("reply classes", color: "#3b6ea5", values: curve.map { Double($0.classes) }),
                                   ChartSeries("transitions", color: "#b5523b", values: curve.map { Double($0.transitions) })],
                          unit: "")
        return MergePage.document(title: "sockfuzz fuzz", heading: "sockfuzz fuzz: \(s.against)",
                                  body: MergePage.keyValueTable(rows) + "\n" + chart.svg())
    }
}
