// Descriptor helpers: listing and counting what the process holds, socket pairs, loopback TCP
// pairs, descriptors placed at high numbers, and poll(2) on one descriptor.

import CSockfuzz
import Glibc
import Syscalls

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The descriptor numbers this process holds now (from /proc/self/fd), ascending.
public func openDescriptorNumbers() -> [Int32] {
    guard let dir = opendir("/proc/self/fd") else { return [] }
    let own = dirfd(dir)
    var numbers: [Int32] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if let fd = Int32(name), fd != own { numbers.append(fd) }
    }
    closedir(dir)
    return numbers.sorted()
}

/// How many descriptors the process holds (the same reading as `Sys.openDescriptorCount`).
public func openDescriptorCount() -> Int { Sys.openDescriptorCount() }

/// What a descriptor refers to ("socket:[1234]", "anon_inode:[eventpoll]", a path), for messages.
public func describeDescriptor(_ fd: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let n = readlink("/proc/self/fd/\(fd)", &buffer, 255)
    guard n > 0 else { return "?" }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The descriptors open now, each with what it refers to ("socket:[123]", a path): two
/// snapshots differ for a number that was closed and opened again for something else.
public func openDescriptorTable() -> [Int32: String] {
    Dictionary(uniqueKeysWithValues: openDescriptorNumbers().map { ($0, describeDescriptor($0)) })
}

/// Descriptors open now that were not in `before` (or refer to something else now), described,
/// for a leak report.
public func descriptorsOpened(since before: [Int32: String]) -> [String] {
    openDescriptorTable().filter { before[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { "\($0.key) -> \($0.value)" }
}

/// A connected, non-blocking AF_UNIX stream pair.
public func makeSocketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
        throw SystemError(call: "socketpair", errno: errno)
    }
    return (fds[0], fds[1])
}

/// A connected, non-blocking loopback TCP pair: (the connecting end, the accepted end).
public func makeTCPPair(timeout: Double = 10) throws -> (client: Int32, server: Int32) {
    let listener = try Sys.socket(family: AF_INET)
    defer { Sys.close(listener) }
    try Sys.bind(listener, SocketAddress.loopback(port: 0))
    try Sys.listen(listener, backlog: 8)
    let address = try Sys.localAddress(listener)
    let deadline = Deadline(secondsFromNow: timeout)
    let client: Int32
    switch TCPConnect.open(to: address, until: Sys.monotonicNanos() &+ UInt64(timeout * 1e9)) {
    case .success(let fd): client = fd
    case .failure(.timedOut): throw TestSetupError("loopback connect timed out")
    case .failure(.system(let error)): throw error
    }
    do {
        while true {
            switch try Sys.accept(listener) {
            case .processed(let server):
                return (client, server)
            case .wouldBlock:
                guard pollOne(listener, events: Int16(POLLIN), deadline: deadline) != 0 else {
                    throw TestSetupError("loopback accept timed out")
                }
            }
        }
    } catch {
        Sys.close(client)
        throw error
    }
}

/// A duplicate of `fd` at the lowest free number >= `minimum` (fcntl F_DUPFD_CLOEXEC).
public func duplicate(_ fd: Int32, atOrAbove minimum: Int32) throws -> Int32 {
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, minimum)
    guard copy >= 0 else { throw SystemError(call: "fcntl(F_DUPFD)", errno: errno, fd: fd) }
    return copy
}

/// The number the select backend cannot go past.
public var fdSetSize: Int32 { csf_fd_setsize() }

/// poll(2) on one descriptor until `deadline`; returns revents (0 on timeout). Retries EINTR.
@discardableResult
public func pollOne(_ fd: Int32, events: Int16, deadline: Deadline) -> Int16 {
    var p = pollfd(fd: fd, events: events, revents: 0)
    while true {
        let rc = poll(&p, 1, deadline.remainingMillis)
        if rc > 0 { return p.revents }
        if rc == 0 { return 0 }
        if errno != EINTR { return Int16(POLLERR) }
        if deadline.hasPassed { return 0 }
    }
}

/// Writes all of `bytes` to a (possibly non-blocking) descriptor, waiting for room.
public func writeAll(_ fd: Int32, _ bytes: [UInt8], timeout: Double = 10) throws {
    let deadline = Deadline(secondsFromNow: timeout)
    var offset = 0
    while offset < bytes.count {
        let result = try bytes.withUnsafeBytes { raw throws(SystemError) in
            try Sys.write(fd, raw.baseAddress! + offset, raw.count - offset)
        }
        switch result {
        case .processed(let n): offset += n
        case .wouldBlock:
            guard pollOne(fd, events: Int16(POLLOUT), deadline: deadline) != 0 else {
                throw TestSetupError("write to fd \(fd) timed out after \(offset) of \(bytes.count) bytes")
            }
        }
    }
}

/// The process's soft open-file limit, raised to the hard limit (tests that need many
/// descriptors call this; the hard limit here is 20000).
@discardableResult
public func raiseOpenFileLimit() -> Int { Sys.raiseOpenFileLimit() }

/// The RLIMIT_NOFILE value under which exactly `free` more descriptors can be opened now. A new
/// descriptor takes the lowest free number, which must be below the limit; counting the open
/// ones is not enough, since descriptors at high numbers (a client engine keeps its sockets
/// above 2048) leave that many more holes below `count + free`.
public func openFileLimit(leavingFree free: Int) -> Int {
    let used = openDescriptorNumbers()
    var limit = 0
    var holes = 0
    var next = used.makeIterator()
    var upcoming = next.next()
    while holes < free {
        if let taken = upcoming, taken == Int32(limit) {
            upcoming = next.next()
        } else {
            holes += 1
        }
        limit += 1
    }
    return limit
}
