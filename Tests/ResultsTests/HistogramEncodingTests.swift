// The `--hdr-log` encoding is the standard one: an independent decoder (Python's `hdrhistogram`
// package, the HdrHistogram project's own) reads our interval log back to the same counts and
// percentiles. Where the package is missing the test is skipped, saying so (CI installs it).

import Foundation
import Histogram
@testable import Results
import Testing
import TestSupport

private let pythonDecoder: Bool = {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["python3", "-c", "import hdrh.histogram, hdrh.log"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
}()

private let underCI = ProcessInfo.processInfo.environment["CI"] == "true"

@Suite("HdrHistogram encoding", .sharesDescriptorTable)
struct HistogramEncodingTests {
    @Test("varints are ZigZag LEB128, at most 9 bytes")
    func varints() {
        func enc(_ v: Int64) -> [UInt8] { var out: [UInt8] = []; HistogramEncoding.putVarint(v, &out); return out }
        #expect(enc(0) == [0])
        #expect(enc(1) == [2])
        #expect(enc(-1) == [1])
        #expect(enc(64) == [0x80, 0x01])
        #expect(enc(Int64.max).count == 9)
        #expect(enc(Int64.min).count == 9)
    }

    @Test("Python's hdrhistogram reads our interval log back exactly",
          .enabled(if: pythonDecoder || underCI, "python3 -m pip install hdrhistogram (CI installs it)"))
    func pythonReadsIt() throws {
        try #require(pythonDecoder, "the hdrhistogram Python package is missing: .ci/run must install it")
        var a = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        var b = a
        for i in 1...10_000 { _ = a.record(UInt64(i) * 1_000) }  // 1 µs .. 10 ms
        for i in 0..<500 { _ = b.record(50_000_000 + UInt64(i) * 7_919) }
        _ = b.record(2_000_000_000)
        let log = IntervalLog(startTime: 1_764_547_200.5)
        let text = log.header() + log.line(start: 0, length: 1, a) + log.line(start: 1, length: 1, b)
        let path = NSTemporaryDirectory() + "sockfuzz-hdr-\(getpid()).hlog"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
        import sys
        from hdrh.histogram import HdrHistogram
        from hdrh.log import HistogramLogReader
        ref = HdrHistogram(1, 3600000000000, 3)
        reader = HistogramLogReader(sys.argv[1], ref)
        while True:
            h = reader.get_next_interval_histogram()
            if h is None:
                break
            print(h.get_total_count(), h.get_value_at_percentile(50), h.get_value_at_percentile(99), h.get_max_value())
        print("start", reader.get_start_time_sec())
        """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        python.standardOutput = pipe
        python.standardError = pipe
        try python.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "\(output)")
        let lines = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try #require(lines.count == 3, "\(output)")
        for (h, fields) in zip([a, b], lines) {
            #expect(fields[0] == String(h.totalCount))
            #expect(h.valuesAreEquivalent(UInt64(fields[1])!, h.valueAtPercentile(50)), "\(fields) vs p50 \(h.valueAtPercentile(50))")
            #expect(h.valuesAreEquivalent(UInt64(fields[2])!, h.valueAtPercentile(99)), "\(fields)")
            #expect(h.valuesAreEquivalent(UInt64(fields[3])!, h.max), "\(fields) vs max \(h.max)")
        }
        #expect(lines[2] == ["start", "1764547200.5"], "\(output)")
    }
}

@Suite("HdrHistogram decoding", .sharesDescriptorTable)
struct HistogramDecodingTests {
    @Test("encode then decode gives the same counts at the same values", arguments: [UInt64(1), 1000])
    func roundTrip(lowest: UInt64) throws {
        var h = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        var x: UInt64 = 12345
        for _ in 0..<20_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            _ = h.record(1000 + (x >> 40) % 50_000_000)
        }
        _ = h.record(3_000_000_000_000)
        let back = try HistogramEncoding.decode(base64: HistogramEncoding.base64(h))
        #expect(back.totalCount == h.totalCount)
        for p in [0.0, 10, 50, 90, 99, 99.9, 100] {
            #expect(back.valuesAreEquivalent(back.valueAtPercentile(p), h.valueAtPercentile(p)), "p\(p)")
        }
        #expect(back.valuesAreEquivalent(back.max, h.max))
        #expect(back.valuesAreEquivalent(back.min, h.min))
        // The same count in every bucket: only the values inside a bucket are lost, by design.
        #expect(Array(back.recordedValues().map(\.count)) == Array(h.recordedValues().map(\.count)))
    }

    @Test("garbage is an error, not a trap")
    func garbage() {
        #expect(throws: HistogramDecodingError.self) { try HistogramEncoding.decode(base64: "HISTFAAAAA==") }
        #expect(throws: HistogramDecodingError.self) { try HistogramEncoding.decode(base64: "not base64!") }
        #expect(throws: HistogramDecodingError.self) { try HistogramEncoding.decode(compressed: [0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 3, 1, 2, 3]) }
    }
}
