// Timers in a binary min-heap keyed by (deadline, sequence): equal deadlines fire in the order
// they were scheduled. Cancellation is lazy: the action is dropped, the heap entry skipped.

import HeapModule

public struct TimerID: Hashable, Sendable {
    let sequence: UInt64
}

struct TimerQueue {
    struct Entry: Comparable {
        let deadline: UInt64
        let sequence: UInt64
        static func < (a: Entry, b: Entry) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
        }
    }

    private var heap = Heap<Entry>()
    private var actions: [UInt64: () -> Void] = [:]
    private var nextSequence: UInt64 = 1

    var count: Int { actions.count }

    mutating func schedule(at deadline: UInt64, _ action: @escaping () -> Void) -> TimerID {
        let sequence = nextSequence
        nextSequence += 1
        heap.insert(Entry(deadline: deadline, sequence: sequence))
        actions[sequence] = action
        return TimerID(sequence: sequence)
    }

    mutating func cancel(_ id: TimerID) {
        actions[id.sequence] = nil
    }

    /// The earliest live deadline, discarding cancelled entries on the way.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.min {
            if actions[top.sequence] != nil { return top.deadline }
            _ = heap.removeMin()
        }
        return nil
    }

    /// Removes and returns the action of the earliest timer due at or before `now`.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        while let top = heap.min, top.deadline <= now {
            _ = heap.removeMin()
            if let action = actions.removeValue(forKey: top.sequence) { return action }
        }
        return nil
    }
}
