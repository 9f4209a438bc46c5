// The bytes a decoder has received but not yet framed, with their offset in the stream. Appends
// at the end, consumes from the front, and compacts only when the consumed part dominates, so
// framing a long stream costs amortised O(bytes).

struct FrameBuffer: FrameBytes {
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

    /// The bytes `range` (relative to the oldest unconsumed byte).
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(start + range.lowerBound)..<(start + range.upperBound)]
    }

    /// Stream offset of the unconsumed byte at `i`.
    func offset(_ i: Int) -> UInt64 { streamOffset &+ UInt64(i) }
}
