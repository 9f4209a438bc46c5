// HdrHistogram's standard compressed encoding (V2): the form `--hdr-log` files carry, readable
// by every HdrHistogram implementation (Java, C, Python's `hdrhistogram`). Counts are written
// as ZigZag LEB128 varints with runs of zeros collapsed, deflated with zlib, base64-wrapped.

import CZlib
import Foundation
import Histogram

public enum HistogramEncoding {
    /// V2 cookies; the 0x10 marks 9-byte-max varint words (what every reader expects).
    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10

    /// The compressed, base64 form of `histogram` (one line of an interval log).
    public static func base64<Count>(_ histogram: Histogram<Count>) -> String {
        Data(compressed(histogram)).base64EncodedString()
    }

    /// External header (cookie, length) followed by the zlib-deflated V2 payload.
    public static func compressed<Count>(_ histogram: Histogram<Count>) -> [UInt8] {
        let payload = uncompressed(histogram)
        let deflated = deflate(payload)
        var out: [UInt8] = []
        out.reserveCapacity(8 + deflated.count)
        put32(compressedCookie, &out)
        put32(UInt32(deflated.count), &out)
        return out + deflated
    }

    /// The 40-byte V2 header and the varint counts.
    static func uncompressed<Count>(_ histogram: Histogram<Count>) -> [UInt8] {
        var counts: [UInt8] = []
        var zeros: Int64 = 0
        // allValues() visits every bucket index in order: exactly the counts array.
        var pending: [Int64] = []
        for v in histogram.allValues() { pending.append(Int64(v.count)) }
        while pending.last == 0 { pending.removeLast() }
        for count in pending {
            if count == 0 { zeros += 1; continue }
            if zeros > 0 { putVarint(-zeros, &counts); zeros = 0 }
            putVarint(count, &counts)
        }
        var out: [UInt8] = []
        put32(encodingCookie, &out)
        put32(UInt32(counts.count), &out)
        put32(0, &out)  // normalizing index offset
        put32(UInt32(histogram.numberOfSignificantValueDigits.rawValue), &out)
        put64(histogram.lowestDiscernibleValue, &out)
        put64(histogram.highestTrackableValue, &out)
        put64(Double(1).bitPattern, &out)  // integer-to-double conversion ratio
        return out + counts
    }

    /// ZigZag, then LEB128 with at most 9 bytes (the 9th carries a whole byte), as HdrHistogram's
    /// ZigZagEncoding does.
    static func putVarint(_ value: Int64, _ out: inout [UInt8]) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if v < 0x80 { out.append(UInt8(v)); return }
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    static func put64(_ v: UInt64, _ out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    static func deflate(_ input: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &length, src.baseAddress, uLong(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compress2 fails only for lack of memory or a too-small buffer, neither possible here.
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        return Array(output.prefix(Int(length)))
    }
}
