// Tables indexed by descriptor number (a server's connections, a client's ids by descriptor):
// the kernel hands out the lowest free number, so an array grown to the highest number seen is
// dense, and a lookup is one index, no hashing.

extension Array {
    /// Grows the array, filling with `empty`, until `fd` is a valid index: to at least twice its
    /// size (64 at first), so a burst of new descriptors grows it a few times, not once each.
    @inlinable
    public mutating func growToHold(descriptor fd: Int32, empty: Element) {
        guard Int(fd) >= count else { return }
        append(contentsOf: repeatElement(empty, count: Swift.max(Int(fd) + 1, count * 2, 64) - count))
    }
}
