// A loopback TCP test client with blocking semantics and hard deadlines: every call waits with
// poll(2) on a non-blocking socket and gives up at its deadline instead of hanging the suite.

import CSockfuzz
import Glibc
import Syscalls

/// How a read to the end of a stream finished.
public enum StreamEnd: Equatable, Sendable, CustomStringConvertible {
    /// An orderly end of file.
    case eof
    /// The socket failed (ECONNRESET after a peer's RST, ...).
    case error(Int32)
    /// The deadline passed first.
    case timedOut

    public var description: String {
        switch self {
        case .eof: return "EOF"
        case .error(let e): return "error \(String(cString: strerror(e))) (errno \(e))"
        case .timedOut: return "timed out"
        }
    }
}

public final class LoopbackClient {
    public private(set) var fd: Int32

    /// Connects to `address`, waiting at most `timeout` seconds. `receiveBuffer` sets SO_RCVBUF
    /// before connecting (so the window is small from the start).
    public init(connectingTo address: SocketAddress, receiveBuffer: Int? = nil, timeout: Double = 10) throws {
        fd = try Sys.socket(family: address.family)
        do {
            if let size = receiveBuffer {
                var value = Int32(size)
                guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                    throw SystemError(call: "setsockopt(SO_RCVBUF)", errno: errno, fd: fd)
                }
            }
            let deadline = Deadline(secondsFromNow: timeout)
            if case .wouldBlock = try Sys.connect(fd, address) {
                guard pollOne(fd, events: Int16(POLLOUT), deadline: deadline) != 0 else {
                    throw TestSetupError("connect to \(address) timed out")
                }
                let error = try Sys.pendingError(fd)
                guard error == 0 else { throw SystemError(call: "connect", errno: error, fd: fd) }
            }
        } catch {
            Sys.close(fd)
            fd = -1
            throw error
        }
    }

    /// Wraps a connected non-blocking socket (the server end a test accepted); closed with it.
    public init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Sys.close(fd); fd = -1 }
    }

    /// Closes with SO_LINGER {1, 0}: the kernel sends RST instead of FIN.
    public func reset() {
        guard fd >= 0 else { return }
        try? Sys.setLingerZero(fd)
        close()
    }

    public func shutdownWrite() throws {
        try Sys.shutdownWrite(fd)
    }

    /// Sends every byte, waiting for room; throws at the deadline.
    public func send(_ bytes: [UInt8], timeout: Double = 10) throws {
        let deadline = Deadline(secondsFromNow: timeout)
        var offset = 0
        while offset < bytes.count {
            let result = try bytes.withUnsafeBytes { raw throws(SystemError) in
                try Sys.send(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            switch result {
            case .processed(let n): offset += n
            case .wouldBlock:
                guard pollOne(fd, events: Int16(POLLOUT), deadline: deadline) != 0 else {
                    throw TestSetupError("send timed out after \(offset) of \(bytes.count) bytes")
                }
            }
        }
    }

    /// Sends without ever reading, as far as the path takes bytes: stops when `limit` bytes
    /// are sent, or when no byte could be sent for `stallMillis` (every buffer on the way is
    /// full) and `enough()` holds (so a slow, busy machine is not mistaken for a full path:
    /// pass a check of the server's state). `timeout` bounds the whole call. Returns the bytes
    /// sent.
    public func sendWithoutReading(upTo limit: Int, stallMillis: Int = 500, timeout: Double = 30,
                                   until enough: () -> Bool = { true }) throws -> Int {
        let chunk = patternBytes(count: 64 * 1024, seed: 7)
        let deadline = Deadline(secondsFromNow: timeout)
        var sent = 0
        var lastProgress = nowNanos()
        while sent < limit && !deadline.hasPassed {
            let want = min(chunk.count, limit - sent)
            let result = try chunk.withUnsafeBytes { raw throws(SystemError) in try Sys.send(fd, raw.baseAddress!, want) }
            switch result {
            case .processed(let n):
                sent += n
                lastProgress = nowNanos()
            case .wouldBlock:
                let wait = Deadline(secondsFromNow: 0.05)
                if pollOne(fd, events: Int16(POLLOUT), deadline: wait) == 0,
                   nowNanos() - lastProgress >= millis(stallMillis), enough() {
                    return sent
                }
            }
        }
        return sent
    }

    /// Receives exactly `count` bytes; throws if the stream ends or the deadline passes first.
    public func receive(exactly count: Int, timeout: Double = 10) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        let deadline = Deadline(secondsFromNow: timeout)
        var buffer = [UInt8](repeating: 0, count: min(max(count, 1), 64 * 1024))
        while out.count < count {
            let want = min(buffer.count, count - out.count)
            let result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in try Sys.recv(fd, raw.baseAddress!, want) }
            switch result {
            case .processed(0):
                throw TestSetupError("stream ended after \(out.count) of \(count) bytes")
            case .processed(let n):
                out.append(contentsOf: buffer[..<n])
            case .wouldBlock:
                guard pollOne(fd, events: Int16(POLLIN), deadline: deadline) != 0 else {
                    throw TestSetupError("receive timed out after \(out.count) of \(count) bytes")
                }
            }
        }
        return out
    }

    /// Sends `message` and reads back as many bytes.
    public func echo(_ message: [UInt8], timeout: Double = 10) throws -> [UInt8] {
        try send(message, timeout: timeout)
        return try receive(exactly: message.count, timeout: timeout)
    }

    /// Reads until EOF, an error or the deadline; returns what arrived and how it ended.
    public func receiveToEnd(timeout: Double = 20) -> (bytes: [UInt8], end: StreamEnd) {
        var out: [UInt8] = []
        let deadline = Deadline(secondsFromNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let result: IOResult<Int>
            do {
                result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in try Sys.recv(fd, raw.baseAddress!, raw.count) }
            } catch let error as SystemError {
                return (out, .error(error.errno))
            } catch {
                return (out, .error(EIO))
            }
            switch result {
            case .processed(0): return (out, .eof)
            case .processed(let n): out.append(contentsOf: buffer[..<n])
            case .wouldBlock:
                if pollOne(fd, events: Int16(POLLIN), deadline: deadline) == 0 { return (out, .timedOut) }
            }
        }
    }

    /// Reads until `count` bytes arrived, the stream ended, or the deadline passed; returns
    /// what arrived and, when it is short, why (`.eof` here means "ended early").
    public func receive(upTo count: Int, timeout: Double = 20) -> (bytes: [UInt8], end: StreamEnd) {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        let deadline = Deadline(secondsFromNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while out.count < count {
            let want = min(buffer.count, count - out.count)
            let result: IOResult<Int>
            do {
                result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in try Sys.recv(fd, raw.baseAddress!, want) }
            } catch let error as SystemError {
                return (out, .error(error.errno))
            } catch {
                return (out, .error(EIO))
            }
            switch result {
            case .processed(0): return (out, .eof)
            case .processed(let n): out.append(contentsOf: buffer[..<n])
            case .wouldBlock:
                if pollOne(fd, events: Int16(POLLIN), deadline: deadline) == 0 { return (out, .timedOut) }
            }
        }
        return (out, .timedOut)
    }

    /// Whether the stream has ended (EOF or error) within `timeout`, without expecting data.
    /// Data that arrives instead is discarded.
    public func hasEnded(within timeout: Double) -> Bool {
        let outcome = receiveToEnd(timeout: timeout)
        return outcome.end != .timedOut
    }

    /// Sends all of `payload` while reading the echo as it comes (one socket, poll-driven), so
    /// neither side's buffers fill; returns what came back within the deadline.
    public func roundTrip(_ payload: [UInt8], timeout: Double = 30) throws -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(payload.count)
        let deadline = Deadline(secondsFromNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var sent = 0
        while received.count < payload.count {
            var events = Int16(POLLIN)
            if sent < payload.count { events |= Int16(POLLOUT) }
            let revents = pollOne(fd, events: events, deadline: deadline)
            if revents == 0 { break }
            if revents & Int16(POLLOUT) != 0 && sent < payload.count {
                let result = try payload.withUnsafeBytes { raw throws(SystemError) in
                    try Sys.send(fd, raw.baseAddress! + sent, min(raw.count - sent, 256 * 1024))
                }
                if case .processed(let n) = result { sent += n }
            }
            if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in try Sys.recv(fd, raw.baseAddress!, raw.count) }
                switch result {
                case .processed(0): return received
                case .processed(let n): received.append(contentsOf: buffer[..<n])
                case .wouldBlock: break
                }
            }
        }
        return received
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so reordering or loss shows up as a mismatch.
public func patternBytes(count: Int, seed: UInt64) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    out.withUnsafeMutableBytes { raw in
        var i = 0
        while i + 8 <= count {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            raw.storeBytes(of: state &* 0x2545_F491_4F6C_DD1D, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            raw[i] = UInt8(truncatingIfNeeded: state &* 0x2545_F491_4F6C_DD1D)
            i += 1
        }
    }
    return out
}

/// The first index at which `a` and `b` differ (or the shorter length), nil when equal. Fast
/// (memcmp) even in debug builds, where comparing megabytes element by element is slow.
public func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    let common = min(a.count, b.count)
    let equalPrefix = a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in
        common == 0 || memcmp(ra.baseAddress!, rb.baseAddress!, common) == 0
    } }
    if equalPrefix { return a.count == b.count ? nil : common }
    var low = 0, high = common
    // Binary search over prefixes with memcmp.
    while high - low > 1 {
        let mid = (low + high) / 2
        let same = a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in memcmp(ra.baseAddress!, rb.baseAddress!, mid) == 0 } }
        if same { low = mid } else { high = mid }
    }
    return low
}
