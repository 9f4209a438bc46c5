// `--hdr-log`: a load run's measured window, second by second, as an HdrHistogram interval log
// (round trips in nanoseconds; the maximum column in milliseconds, HdrHistogram's default), which
// HdrHistogram's own tools read and plot.

import Results
import Syscalls

extension LoadResult {
    public func intervalLog(comment: String) -> String {
        let start = Double(measuredSinceEpochNanos ?? Sys.wallClockNanos()) / 1e9
        let log = IntervalLog(startTime: start)
        var text = log.header(comment: comment)
        for interval in intervals ?? [] {
            text += log.line(start: interval.startSeconds, length: interval.seconds, max: interval.maxNanos, encoded: interval.histogram)
        }
        return text
    }
}
