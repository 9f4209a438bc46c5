// Many concurrent loopback connections driven from one thread with poll(2): open them all,
// echo a distinct message on every one at once, then close them. poll has no FD_SETSIZE limit,
// so this works for thousands of connections.

import Glibc
import Syscalls

public final class ConnectionSet {
    public private(set) var descriptors: [Int32] = []

    public init() {}

    deinit { closeAll() }

    public var count: Int { descriptors.count }

    /// Opens `count` connections to `address` (non-blocking connects, `batch` in flight at a
    /// time), returning once all are connected. Throws at the deadline or on a failed connect.
    public func open(to address: SocketAddress, count: Int, batch: Int = 256, timeout: Double = 30) throws {
        let deadline = Deadline(secondsFromNow: timeout)
        var started = 0
        while started < count {
            let n = min(batch, count - started)
            let first = descriptors.count
            try createSockets(count: n, family: address.family)
            try connect(descriptors[first...], to: address, deadline: deadline)
            started += n
        }
    }

    /// Creates `count` unconnected non-blocking sockets (to connect later, when making new
    /// descriptors may no longer be possible).
    public func createSockets(count: Int, family: Int32) throws {
        for _ in 0..<count { descriptors.append(try Sys.socket(family: family)) }
    }

    /// Connects every socket of the set that `createSockets` made, waiting for all to complete.
    public func connectAll(to address: SocketAddress, timeout: Double = 30) throws {
        try connect(descriptors[...], to: address, deadline: Deadline(secondsFromNow: timeout))
    }

    private func connect(_ fds: ArraySlice<Int32>, to address: SocketAddress, deadline: Deadline) throws {
        var pending: [Int32] = []
        for fd in fds {
            if case .wouldBlock = try Sys.connect(fd, address) { pending.append(fd) }
        }
        while !pending.isEmpty {
            var polled = pending.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            let rc = poll(&polled, nfds_t(polled.count), min(deadline.remainingMillis, 100))
            if rc < 0 && errno != EINTR { throw SystemError(call: "poll", errno: errno) }
            var still: [Int32] = []
            for p in polled {
                if p.revents == 0 { still.append(p.fd); continue }
                let error = try Sys.pendingError(p.fd)
                guard error == 0 else { throw SystemError(call: "connect", errno: error, fd: p.fd) }
            }
            pending = still
            if !pending.isEmpty && deadline.hasPassed {
                throw TestSetupError("\(pending.count) connects still pending at the deadline")
            }
        }
    }

    /// The message connection `index` sends: distinct per connection, `size` bytes.
    public static func message(for index: Int, size: Int) -> [UInt8] {
        let tag = Array("<\(index)>".utf8)
        return (0..<size).map { tag[$0 % tag.count] }
    }

    /// Sends a distinct `size`-byte message on every connection at once and reads each echo
    /// back. Returns a description of every connection that did not get its exact message back
    /// within the deadline (empty: all echoed).
    public func echoAll(messageSize size: Int = 32, timeout: Double = 30) -> [String] {
        let n = descriptors.count
        let messages = (0..<n).map { Self.message(for: $0, size: size) }
        var sent = [Int](repeating: 0, count: n)
        var received = [[UInt8]](repeating: [], count: n)
        var failed = [String?](repeating: nil, count: n)
        var open = Set(0..<n)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Deadline(secondsFromNow: timeout)
        while !open.isEmpty && !deadline.hasPassed {
            let order = Array(open)
            var fds = order.map { i in
                pollfd(fd: descriptors[i], events: Int16(POLLIN) | (sent[i] < size ? Int16(POLLOUT) : 0), revents: 0)
            }
            let rc = poll(&fds, nfds_t(fds.count), min(deadline.remainingMillis, 100))
            if rc < 0 && errno != EINTR { break }
            for (k, p) in fds.enumerated() where p.revents != 0 {
                let i = order[k]
                let fd = descriptors[i]
                if p.revents & Int16(POLLOUT) != 0 && sent[i] < size {
                    do {
                        let result = try messages[i].withUnsafeBytes { raw throws(SystemError) in
                            try Sys.send(fd, raw.baseAddress! + sent[i], size - sent[i])
                        }
                        if case .processed(let k) = result { sent[i] += k }
                    } catch {
                        failed[i] = "connection \(i) (fd \(fd)): send failed: \(error)"
                        open.remove(i)
                        continue
                    }
                }
                if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    do {
                        let result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in
                            try Sys.recv(fd, raw.baseAddress!, min(raw.count, size - received[i].count))
                        }
                        switch result {
                        case .processed(0):
                            failed[i] = "connection \(i) (fd \(fd)): EOF after \(received[i].count) of \(size) bytes"
                            open.remove(i)
                            continue
                        case .processed(let k):
                            received[i].append(contentsOf: buffer[..<k])
                        case .wouldBlock:
                            break
                        }
                    } catch {
                        failed[i] = "connection \(i) (fd \(fd)): recv failed: \(error)"
                        open.remove(i)
                        continue
                    }
                }
                if received[i].count == size {
                    if received[i] != messages[i] {
                        failed[i] = "connection \(i) (fd \(fd)): got \(String(decoding: received[i], as: UTF8.self)) for \(String(decoding: messages[i], as: UTF8.self))"
                    }
                    open.remove(i)
                }
            }
        }
        for i in open {
            failed[i] = "connection \(i) (fd \(descriptors[i])): \(received[i].count) of \(size) bytes echoed before the deadline"
        }
        return failed.compactMap { $0 }
    }

    /// How many connections see EOF or an error (those the server closed): polls until
    /// `expected` have ended (then 100 ms more, to catch any beyond it) or `timeout` passes.
    public func countEnded(expected: Int? = nil, timeout: Double = 10) -> Int {
        var ended = Set<Int>()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var deadline = Deadline(secondsFromNow: timeout)
        var extended = false
        repeat {
            if let expected, ended.count >= expected, !extended {
                deadline = Deadline(secondsFromNow: 0.1)
                extended = true
            }
            let order = (0..<descriptors.count).filter { !ended.contains($0) }
            if order.isEmpty { break }
            var fds = order.map { pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0) }
            let rc = poll(&fds, nfds_t(fds.count), min(deadline.remainingMillis, 20))
            if rc <= 0 { if rc < 0 && errno != EINTR { break }; continue }
            for (k, p) in fds.enumerated() where p.revents != 0 {
                let result = try? buffer.withUnsafeMutableBytes { raw throws(SystemError) in
                    try Sys.recv(p.fd, raw.baseAddress!, raw.count)
                }
                switch result {
                case nil, .processed(0)?: ended.insert(order[k])
                default: break
                }
            }
        } while !deadline.hasPassed
        return ended.count
    }

    public func closeAll() {
        for fd in descriptors { Sys.close(fd) }
        descriptors.removeAll()
    }
}
