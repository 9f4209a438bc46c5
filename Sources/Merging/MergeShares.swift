// What every merge (load, fuzz, run) checks and reads the same way: that its files are the n
// shares of one whole, each exactly once, run with the same options, and the HDR histograms the
// shares carry.

import Histogram
import Results
import Vocabulary

enum MergeShares {
    /// Throws unless `shares` are shares 0..<n of `whole` (e.g. "the test"), each given once,
    /// all split in the n of the first. `whereMissing` says more about missing shares.
    static func requireComplete(_ shares: [(file: String, segment: ExecutionSegment)], of whole: String,
                                whereMissing: ([Int]) -> String = { _ in "" }) throws {
        guard let first = shares.first else { throw MergeError("no shares of \(whole) to merge") }
        let n = first.segment.count
        var seen: [Int: String] = [:]
        for (file, segment) in shares {
            guard segment.count == n, (0..<n).contains(segment.index) else {
                throw MergeError("\(file): share \(segment) does not split \(whole) in \(n) like \(first.file)")
            }
            if let other = seen[segment.index] { throw MergeError("share \(segment) of \(whole) is given twice: \(other) and \(file)") }
            seen[segment.index] = file
        }
        let missing = (0..<n).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            throw MergeError("missing share\(missing.count == 1 ? "" : "s") " + missing.map { "\($0)/\(n)" }.joined(separator: ", ")
                             + " of \(whole): the totals would be wrong" + whereMissing(missing))
        }
    }

    /// Throws unless every share recorded the options (`identity`) of the first: shares run with
    /// other options add up to a `whole` ("test", "campaign (...)") that nobody ran.
    static func requireSameOptions(_ shares: [(file: String, identity: String?)], of whole: String) throws {
        guard let first = shares.first else { return }
        for (file, identity) in shares where identity != first.identity {
            throw MergeError("\(file) is a share of another \(whole):\n  \(identity ?? "options not recorded")\n"
                             + "not\n  \(first.identity ?? "options not recorded") (\(first.file))")
        }
    }

    /// A share's histogram (HdrHistogram's compressed base64); `what` names it in the error.
    static func histogram(_ encoded: String, share: String, what: String) throws -> Histogram<UInt64> {
        do { return try HistogramEncoding.decode(base64: encoded) } catch {
            throw MergeError("share \(share): \(what) does not decode: \(error)")
        }
    }
}
