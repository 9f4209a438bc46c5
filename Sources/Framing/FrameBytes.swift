// Read-only access to bytes waiting to be framed, so the same frame-finding code runs on a
// decoder's own buffer and, copying nothing, on bytes still in a caller's read buffer.

protocol FrameBytes {
    var count: Int { get }
    /// The unconsumed byte at `i` (0 = the oldest).
    subscript(i: Int) -> UInt8 { get }
    /// Stream offset of the byte at `i`.
    func offset(_ i: Int) -> UInt64
}

extension FrameBytes {
    /// Index of the first `byte` at or after `from`.
    func firstIndex(ofByte byte: UInt8, from: Int = 0) -> Int? {
        var i = max(0, from)
        while i < count {
            if self[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// Index of the first LF at or after `from`.
    func firstLF(from: Int = 0) -> Int? { firstIndex(ofByte: 0x0a, from: from) }

    /// Index of the first `needle` at or after `from`.
    func firstIndex(of needle: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = max(0, from)
        let first = needle[0]
        while i <= count - needle.count {
            if self[i] == first {
                var k = 1
                while k < needle.count && self[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// Bytes in memory the caller owns, starting at stream offset `streamOffset`.
struct BorrowedBytes: FrameBytes {
    let base: UnsafeRawBufferPointer
    let streamOffset: UInt64

    var count: Int { base.count }
    @inline(__always) subscript(i: Int) -> UInt8 { base[i] }
    func offset(_ i: Int) -> UInt64 { streamOffset &+ UInt64(i) }
}
