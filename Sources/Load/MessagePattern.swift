// The bytes of load message `seq` on connection `conn`: a keyed pattern, different for every
// message and connection, so any lost, duplicated, reordered or altered byte is caught by
// comparing what comes back with what the pattern says should. One hash per message makes its
// key; each 8-byte word is then one multiply-add away (a Weyl sequence), because generating the
// pattern twice per message (to send it, to check it) was most of the client's user time.

@inline(__always)
func messageKey(conn: UInt64, seq: UInt64) -> UInt64 {
    var z = seq &* 0x9E37_79B9_7F4A_7C15 ^ conn &* 0xD6E8_FEB8_6659_FD93
    z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 29)
}

@inline(__always)
func patternWord(key: UInt64, word: UInt64) -> UInt64 {
    key &+ (word &+ 1) &* 0xBF58_476D_1CE4_E5B9
}

/// Writes bytes [from, from+count) of message `seq` into `out`.
@inline(__always)
func writePattern(conn: UInt64, seq: UInt64, from: Int, count: Int, into out: UnsafeMutableRawPointer) {
    let key = messageKey(conn: conn, seq: seq)
    var i = 0
    // Leading bytes up to a word boundary of the message, then whole words, then the tail.
    while i < count && (from + i) & 7 != 0 {
        let offset = from + i
        let word = patternWord(key: key, word: UInt64(offset >> 3))
        out.storeBytes(of: UInt8(truncatingIfNeeded: word >> UInt64((offset & 7) * 8)), toByteOffset: i, as: UInt8.self)
        i += 1
    }
    // Wrapping arithmetic: offsets stay far below overflow, and the checks cost more than the words.
    while i &+ 8 <= count {
        out.storeBytes(of: patternWord(key: key, word: UInt64(truncatingIfNeeded: (from &+ i) >> 3)).littleEndian, toByteOffset: i, as: UInt64.self)
        i &+= 8
    }
    while i < count {
        let offset = from + i
        let word = patternWord(key: key, word: UInt64(offset >> 3))
        out.storeBytes(of: UInt8(truncatingIfNeeded: word >> UInt64((offset & 7) * 8)), toByteOffset: i, as: UInt8.self)
        i += 1
    }
}

/// Whether `bytes` hold bytes [from, from+count) of message `seq`: the words compared as they are
/// computed, with no copy of the expected bytes (verifying every echo is the load client's own
/// work, beyond what loadc does; this keeps it cheap). Where they differ, `writePattern` tells where.
@inline(__always)
func matchesPattern(conn: UInt64, seq: UInt64, from: Int, count: Int, in bytes: UnsafeRawPointer) -> Bool {
    let key = messageKey(conn: conn, seq: seq)
    var i = 0
    var differs: UInt64 = 0
    while i < count && (from + i) & 7 != 0 {
        let offset = from + i
        let word = patternWord(key: key, word: UInt64(offset >> 3))
        differs |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self) ^ UInt8(truncatingIfNeeded: word >> UInt64((offset & 7) * 8)))
        i += 1
    }
    while i &+ 8 <= count {
        differs |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ patternWord(key: key, word: UInt64(truncatingIfNeeded: (from &+ i) >> 3)).littleEndian
        i &+= 8
    }
    while i < count {
        let offset = from + i
        let word = patternWord(key: key, word: UInt64(offset >> 3))
        differs |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self) ^ UInt8(truncatingIfNeeded: word >> UInt64((offset & 7) * 8)))
        i += 1
    }
    return differs == 0
}
