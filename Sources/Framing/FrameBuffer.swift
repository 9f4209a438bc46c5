// The bytes a decoder has received but not yet framed, with their offset in the stream. Appends
// at the end, consumes from the front, and compacts only when the consumed part dominates, so
// framing a long stream costs amortised O(bytes).

struct FrameBuffer {
    private(set) var storage: [UInt8] = []
    /// Index in `storage` of the first unconsumed byte.
    private(set) var start = 0
    /// Stream offset of `storage[start]`.
    private(set) var streamOffset: UInt64 = 0

    var count: Int { storage.count - start }
    var isEmpty: Bool { count == 0 }

    /// The unconsumed byte at `i` (0 = the oldest).
    subscript(i: Int) -> UInt8 { storage[start + i] }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 4096 && start * 2 > storage.count {
            storage.removeSubrange(0..<start)
            start = 0
        }
        storage.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The first `n` unconsumed bytes, as a frame, consumed.
    mutating func take(_ n: Int, payload: Range<Int>? = nil) -> Frame {
        let frame = Frame(bytes: Array(storage[start..<(start + n)]), payload: payload, streamOffset: streamOffset)
        start += n
        streamOffset &+= UInt64(n)
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        }
        return frame
    }

    /// Index (from the oldest unconsumed byte) of the first `needle` at or after `from`.
    func firstIndex(of needle: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = max(0, from)
        let first = needle[0]
        while i <= count - needle.count {
            if storage[start + i] == first {
                var k = 1
                while k < needle.count && storage[start + i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Index of the first LF at or after `from`.
    func firstLF(from: Int = 0) -> Int? {
        var i = max(0, from)
        while i < count {
            if storage[start + i] == 0x0a { return i }
            i += 1
        }
        return nil
    }

    /// The bytes `range` (relative to the oldest unconsumed byte).
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(start + range.lowerBound)..<(start + range.upperBound)]
    }

    /// Stream offset of the unconsumed byte at `i`.
    func offset(_ i: Int) -> UInt64 { streamOffset &+ UInt64(i) }
}
