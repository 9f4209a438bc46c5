// A latency summary family from an HDR histogram of nanoseconds: p50, p90, p99, p99.9 in seconds
// (NaN while empty, as the format allows), with the sum and count.

import Histogram

extension PrometheusText {
    public static func latencySummary(_ name: String, help: String, _ h: Histogram<UInt64>) -> Family {
        let count = h.totalCount
        var samples = [("0.5", 50.0), ("0.9", 90), ("0.99", 99), ("0.999", 99.9)].map { q in
            Sample(labels: [("quantile", q.0)], count > 0 ? Double(h.valueAtPercentile(q.1)) / 1e9 : .nan)
        }
        samples.append(Sample(suffix: "_sum", count > 0 ? h.mean * Double(count) / 1e9 : 0))
        samples.append(Sample(suffix: "_count", Double(count)))
        return Family(name, .summary, help, samples)
    }
}
