// Reading HdrHistogram's compressed encoding (V2) back, so results written by one share can be
// merged by another process: header, zlib inflate, ZigZag LEB128 counts, each count recorded at
// the value its index stands for (the bucket layout every HdrHistogram implementation shares).

import CZlib
import Foundation
import Histogram

public struct HistogramDecodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension HistogramEncoding {
    public static func decode(base64 text: String) throws(HistogramDecodingError) -> Histogram<UInt64> {
        guard let data = Data(base64Encoded: text) else { throw HistogramDecodingError("not base64") }
        return try decode(compressed: [UInt8](data))
    }

    public static func decode(compressed bytes: [UInt8]) throws(HistogramDecodingError) -> Histogram<UInt64> {
        guard bytes.count >= 8, get32(bytes, 0) == compressedCookie else {
            throw HistogramDecodingError("not a compressed V2 histogram (cookie)")
        }
        let length = Int(get32(bytes, 4))
        guard bytes.count == 8 + length else { throw HistogramDecodingError("length \(length) does not match \(bytes.count - 8) bytes") }
        let payload = try inflate(Array(bytes[8...]))
        guard payload.count >= 40, get32(payload, 0) == encodingCookie else {
            throw HistogramDecodingError("not a V2 histogram payload (cookie)")
        }
        let countsLength = Int(get32(payload, 4))
        let digits = Int(get32(payload, 12))
        let lowest = get64(payload, 16)
        let highest = get64(payload, 24)
        guard payload.count == 40 + countsLength, let significant = SignificantDigits(rawValue: Int8(clamping: digits)),
              lowest >= 1, highest >= 2 * lowest else {
            throw HistogramDecodingError("inconsistent V2 header (digits \(digits), lowest \(lowest), highest \(highest))")
        }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest,
                                          numberOfSignificantValueDigits: significant)
        let layout = BucketLayout(lowest: lowest, digits: digits)
        var counts: [(index: Int, count: UInt64)] = []
        var index = 0
        var at = 40
        while at < payload.count {
            let value = try readVarint(payload, &at)
            if value < 0 {
                index += Int(-value)
            } else {
                if value > 0 { counts.append((index, UInt64(value))) }
                index += 1
            }
        }
        // Like HdrHistogram's own decoders: the smallest value is its bucket's lowest, the
        // largest its bucket's highest equivalent.
        for (i, entry) in counts.enumerated() {
            var value = layout.value(at: entry.index)
            if i == counts.count - 1 { value = histogram.highestEquivalentForValue(value) }
            guard value <= highest else { throw HistogramDecodingError("count at index \(entry.index) beyond the highest trackable value") }
            _ = histogram.record(value, count: entry.count)
        }
        return histogram
    }

    /// Where each counts index lies in value space: HdrHistogram's shared bucket layout.
    struct BucketLayout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int

        init(lowest: UInt64, digits: Int) {
            unitMagnitude = 63 - lowest.leadingZeroBitCount
            var largest: UInt64 = 2
            for _ in 0..<digits { largest *= 10 }
            let subBucketCountMagnitude = 64 - (largest - 1).leadingZeroBitCount  // ceil(log2(largest))
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
        }

        func value(at index: Int) -> UInt64 {
            let half = 1 << subBucketHalfCountMagnitude
            var bucket = (index >> subBucketHalfCountMagnitude) - 1
            var sub = (index & (half - 1)) + half
            if bucket < 0 {
                sub -= half
                bucket = 0
            }
            return UInt64(sub) << UInt64(bucket + unitMagnitude)
        }
    }

    static func readVarint(_ b: [UInt8], _ at: inout Int) throws(HistogramDecodingError) -> Int64 {
        var raw: UInt64 = 0
        for i in 0..<9 {
            guard at < b.count else { throw HistogramDecodingError("truncated counts") }
            let byte = UInt64(b[at])
            at += 1
            if i == 8 { raw |= byte << 56; break }
            raw |= (byte & 0x7f) << UInt64(7 * i)
            if byte & 0x80 == 0 { break }
        }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }

    static func get64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }

    static func inflate(_ input: [UInt8]) throws(HistogramDecodingError) -> [UInt8] {
        // The payload is small (a few KiB); grow the buffer until it fits.
        var capacity = max(1024, input.count * 8)
        while capacity <= 1 << 28 {
            var length = uLong(capacity)
            var output = [UInt8](repeating: 0, count: capacity)
            let status = input.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    uncompress(dst.baseAddress, &length, src.baseAddress, uLong(input.count))
                }
            }
            if status == Z_OK { return Array(output.prefix(Int(length))) }
            guard status == Z_BUF_ERROR else { throw HistogramDecodingError("zlib inflate failed (\(status))") }
            capacity *= 4
        }
        throw HistogramDecodingError("payload larger than 256 MiB")
    }
}
