// What the loop watches, indexed by descriptor: the interest mask and the loop iteration in
// which the descriptor was (re)registered, which is how stale events are recognised.

public struct InterestTable {
    @usableFromInline var masks: [IOEvents] = []
    @usableFromInline var registeredIn: [UInt64] = []
    /// Every descriptor with a non-empty interest, in no particular order (for the busy backend).
    public private(set) var watched: [Int32] = []
    @usableFromInline var watchedIndex: [Int32] = []

    public init() {}

    @inlinable
    public func interest(of fd: Int32) -> IOEvents {
        Int(fd) < masks.count ? masks[Int(fd)] : .none
    }

    /// How many descriptors are watched.
    public var count: Int { watched.count }

    @inlinable
    func registrationIteration(of fd: Int32) -> UInt64 {
        Int(fd) < registeredIn.count ? registeredIn[Int(fd)] : 0
    }

    mutating func grow(to fd: Int32) {
        let needed = Int(fd) + 1
        guard needed > masks.count else { return }
        let newCount = max(needed, masks.count * 2, 64)
        masks.append(contentsOf: repeatElement(.none, count: newCount - masks.count))
        registeredIn.append(contentsOf: repeatElement(0, count: newCount - registeredIn.count))
        watchedIndex.append(contentsOf: repeatElement(-1, count: newCount - watchedIndex.count))
    }

    /// Sets the mask; returns the old one. `iteration` is recorded when the fd becomes watched.
    mutating func set(_ fd: Int32, _ mask: IOEvents, iteration: UInt64) -> IOEvents {
        grow(to: fd)
        let i = Int(fd)
        let old = masks[i]
        masks[i] = mask
        if old.isEmpty && !mask.isEmpty {
            registeredIn[i] = iteration
            watchedIndex[i] = Int32(watched.count)
            watched.append(fd)
        } else if !old.isEmpty && mask.isEmpty {
            // Swap-remove keeps removal O(1).
            let slot = Int(watchedIndex[i])
            let last = watched.removeLast()
            if slot < watched.count {
                watched[slot] = last
                watchedIndex[Int(last)] = Int32(slot)
            }
            watchedIndex[i] = -1
        }
        return old
    }
}
