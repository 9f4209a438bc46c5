// HdrHistogram's interval log format (version 1.3), as `--hdr-log` writes it: a start time, a
// legend, then one line per interval with its start (seconds from the start time), length,
// maximum (in milliseconds for nanosecond values) and compressed histogram. HdrHistogram's own
// tools (HistogramLogProcessor, Python's HistogramLogReader) read it.

import Foundation
import Histogram

public struct IntervalLog {
    /// Wall-clock start of the log, in seconds since the epoch.
    public let startTime: Double
    /// Recorded values are divided by this for the maximum column: 1e6 turns nanoseconds into
    /// milliseconds, HdrHistogram's own default.
    public let maxValueUnitRatio: Double

    public init(startTime: Double, maxValueUnitRatio: Double = 1e6) {
        self.startTime = startTime
        self.maxValueUnitRatio = maxValueUnitRatio
    }

    /// The lines that open the file.
    public func header(comment: String? = nil) -> String {
        var text = ""
        if let comment { text += "#\(comment)\n" }
        text += "#[Histogram log format version 1.3]\n"
        let date = Date(timeIntervalSince1970: startTime)
        text += String(format: "#[StartTime: %.3f (seconds since epoch), %@]\n", startTime, date.description)
        text += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        return text
    }

    /// One interval: `start` seconds after the log's start time, lasting `length` seconds.
    public func line<Count>(start: Double, length: Double, _ histogram: Histogram<Count>, tag: String? = nil) -> String {
        line(start: start, length: length, max: histogram.totalCount > 0 ? histogram.max : 0,
             encoded: HistogramEncoding.base64(histogram), tag: tag)
    }

    /// One interval whose histogram is already encoded (`HistogramEncoding.base64`).
    public func line(start: Double, length: Double, max: UInt64, encoded: String, tag: String? = nil) -> String {
        let prefix = tag.map { "Tag=\($0)," } ?? ""
        return prefix + String(format: "%.3f,%.3f,%.3f,", start, length, Double(max) / maxValueUnitRatio) + encoded + "\n"
    }
}
