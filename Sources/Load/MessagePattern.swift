// The bytes of load message `seq` on connection `conn`: a cheap keyed pattern, different for
// every message and connection, so any lost, duplicated, reordered or altered byte is caught
// by comparing what comes back with what the pattern says should.

@inline(__always)
func patternWord(conn: UInt64, seq: UInt64, word: UInt64) -> UInt64 {
    var z = seq &* 0x9E37_79B9_7F4A_7C15 ^ conn &* 0xD6E8_FEB8_6659_FD93 ^ word &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 29)
}

/// Writes bytes [from, from+count) of message `seq` into `out`.
@inline(__always)
func writePattern(conn: UInt64, seq: UInt64, from: Int, count: Int, into out: UnsafeMutableRawPointer) {
    var i = 0
    while i < count {
        let offset = from + i
        let word = patternWord(conn: conn, seq: seq, word: UInt64(offset >> 3))
        let shift = (offset & 7) * 8
        let take = min(8 - (offset & 7), count - i)
        if take == 8 {
            out.storeBytes(of: word.littleEndian, toByteOffset: i, as: UInt64.self)
        } else {
            var w = word >> UInt64(shift)
            for k in 0..<take {
                out.storeBytes(of: UInt8(truncatingIfNeeded: w), toByteOffset: i + k, as: UInt8.self)
                w >>= 8
            }
        }
        i += take
    }
}
