// A FIFO of bytes in one contiguous buffer with a read and a write offset: a connection's
// unsent bytes, or the bytes a client sent and still expects back. Allocated lazily (an idle
// connection holds no buffer) and given back when it drains from a large size. Not copyable
// in spirit: call release() when done with it (connections do, on close).

import Glibc

public struct ByteQueue {
    private var storage: UnsafeMutableRawPointer?
    /// Bytes allocated (0 while nothing is held since the last `release`).
    public private(set) var capacity = 0
    private var head = 0
    private var tail = 0

    public init() {}

    public var count: Int { tail - head }
    public var isEmpty: Bool { tail == head }

    /// The bytes waiting to be sent.
    public var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.map { UnsafeRawPointer($0 + head) }, count: tail - head)
    }

    public mutating func append(_ bytes: UnsafeRawPointer, _ n: Int) {
        guard n > 0 else { return }
        if tail + n > capacity {
            let live = tail - head
            if head > 0 && live + n <= capacity {
                // Enough room once the sent prefix is reclaimed.
                memmove(storage!, storage! + head, live)
            } else {
                var newCapacity = max(capacity * 2, 4096)
                while newCapacity < live + n { newCapacity *= 2 }
                let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                if let storage {
                    fresh.copyMemory(from: storage + head, byteCount: live)
                    storage.deallocate()
                }
                storage = fresh
                capacity = newCapacity
            }
            head = 0
            tail = live
        }
        (storage! + tail).copyMemory(from: bytes, byteCount: n)
        tail += n
    }

    public mutating func consume(_ n: Int) {
        head += n
        if head == tail {
            head = 0
            tail = 0
            // Give large buffers back once drained, so a burst does not pin memory forever.
            if capacity > 256 * 1024 { release() }
        }
    }

    public mutating func release() {
        storage?.deallocate()
        storage = nil
        capacity = 0
        head = 0
        tail = 0
    }
}
