// `--hdr-log`: a load run's measured window, second by second, as an HdrHistogram interval log
// (round trips in nanoseconds; the maximum column in milliseconds, HdrHistogram's default).

import Load
import Results
import Syscalls

enum HdrLogFile {
    static func render(_ load: LoadResult, comment: String) -> String {
        let start = Double(load.measuredSinceEpochNanos ?? Sys.wallClockNanos()) / 1e9
        let log = IntervalLog(startTime: start)
        var text = log.header(comment: comment)
        for interval in load.intervals ?? [] {
            text += log.line(start: interval.startSeconds, length: interval.seconds, max: interval.maxNanos, encoded: interval.histogram)
        }
        return text
    }
}
