// What a connection sent and has not yet seen echoed, for the echo check. Literal bytes are kept
// as bytes; random bytes are kept as the stream that made them (a seeded generator and a count),
// so a paused reader sent 8 MiB of random data costs a few words here, not 8 MiB: the echo is
// compared against the same stream generated again. Memory then stays near what the kernel
// holds (1,000 such readers grew the process to gigabytes when every sent byte was copied).

import DequeModule
import Glibc
import Reactor
import Vocabulary

/// The bytes of a random payload as `SeededRandom.fill` writes them (the little-endian bytes of
/// successive `next()` values), taken any number at a time: fill(64 KiB) then fill(the rest)
/// makes the same bytes as one fill, so they can be made again in other pieces.
struct RandomByteStream: Sendable {
    private var generator: SeededRandom
    /// The rest of a word taken in part, low byte next.
    private var word: UInt64 = 0
    private var wordBytes = 0

    init(_ generator: SeededRandom) { self.generator = generator }

    /// The next `count` bytes, into `out`.
    mutating func take(_ count: Int, into out: UnsafeMutableRawPointer) {
        var i = 0
        while i < count && wordBytes > 0 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: word), toByteOffset: i, as: UInt8.self)
            word >>= 8
            wordBytes -= 1
            i += 1
        }
        while i + 8 <= count {
            out.storeBytes(of: generator.next().littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        if i < count {
            word = generator.next()
            wordBytes = 8
            while i < count {
                out.storeBytes(of: UInt8(truncatingIfNeeded: word), toByteOffset: i, as: UInt8.self)
                word >>= 8
                wordBytes -= 1
                i += 1
            }
        }
    }

    /// Passes over the next `count` bytes.
    mutating func skip(_ count: Int) {
        var left = count
        while left > 0 && wordBytes > 0 {
            word >>= 8
            wordBytes -= 1
            left -= 1
        }
        for _ in 0..<(left / 8) { _ = generator.next() }
        let tail = left % 8
        if tail > 0 {
            word = generator.next() >> UInt64(tail * 8)
            wordBytes = 8 - tail
        }
    }
}

/// A queue of bytes some of which are literal and some a random stream's, in order.
struct EchoBacklog {
    enum Run {
        case literal(ByteQueue)
        case random(RandomByteStream, count: Int)
    }

    private var runs = Deque<Run>()
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func appendLiteral(_ bytes: UnsafeRawPointer, _ n: Int) {
        guard n > 0 else { return }
        count += n
        if case .literal(var queue)? = runs.last {
            // ByteQueue is a pointer and offsets (no copy on write): append, then store it back.
            queue.append(bytes, n)
            runs[runs.count - 1] = .literal(queue)
        } else {
            var queue = ByteQueue()
            queue.append(bytes, n)
            runs.append(.literal(queue))
        }
    }

    /// `n` bytes of `stream`, from where it stands.
    mutating func appendRandom(_ stream: RandomByteStream, _ n: Int) {
        guard n > 0 else { return }
        count += n
        runs.append(.random(stream, count: n))
    }

    /// Up to `limit` of the oldest bytes, made readable at `scratch` (64 KiB at least) when they
    /// are random ones: the bytes, to compare, then `consume` their count.
    func peek(_ limit: Int, scratch: UnsafeMutableRawPointer) -> UnsafeRawBufferPointer {
        guard let first = runs.first else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        switch first {
        case .literal(let queue):
            let readable = queue.readable
            return UnsafeRawBufferPointer(rebasing: readable[..<min(readable.count, limit)])
        case .random(var stream, let n):
            let k = min(n, limit, 64 * 1024)
            stream.take(k, into: scratch)
            return UnsafeRawBufferPointer(start: scratch, count: k)
        }
    }

    /// Drops the oldest `n` bytes (at most what the first run holds: what `peek` showed).
    mutating func consume(_ n: Int) {
        guard n > 0, let first = runs.first else { return }
        count -= n
        switch first {
        case .literal(var queue):
            queue.consume(n)
            if queue.isEmpty { queue.release(); runs.removeFirst() } else { runs[0] = .literal(queue) }
        case .random(var stream, let left):
            if n == left {
                runs.removeFirst()
            } else {
                stream.skip(n)
                runs[0] = .random(stream, count: left - n)
            }
        }
    }

    mutating func release() {
        for case .literal(var queue) in runs { queue.release() }
        runs.removeAll()
        count = 0
    }
}
