// epoll(7) backend: level-triggered by default, EPOLLET on request. Holds only the epoll fd and
// the buffer the kernel fills. Cost per wait is proportional to what fired, not what is watched.

import CSockfuzz
import Glibc
import Syscalls

public struct EpollBackend: PollerBackend {
    public static let kind = BackendKind.epoll
    public static let descriptorLimit: Int32? = nil
    /// Events taken per wait: enough to batch a busy server, small enough to stay in cache.
    static let batch = 1024

    private var epfd: Int32
    /// The epoll descriptor: readable when an event waits, so another poll can wait on it too.
    public var descriptor: Int32 { epfd }
    private let edgeTriggered: Bool
    private let buffer: UnsafeMutablePointer<csf_epoll_event>

    public init(options: BackendOptions) throws(SystemError) {
        let fd = csf_epoll_create()
        guard fd >= 0 else { throw SystemError(call: "epoll_create1", errno: Glibc.errno) }
        epfd = fd
        edgeTriggered = options.edgeTriggered
        buffer = .allocate(capacity: Self.batch)
    }

    private func kernelMask(_ interest: IOEvents) -> UInt32 {
        var mask: UInt32 = 0
        if interest.contains(.readable) { mask |= csf_EPOLLIN }
        if interest.contains(.writable) { mask |= csf_EPOLLOUT }
        if edgeTriggered { mask |= csf_EPOLLET }
        return mask
    }

    private func control(_ op: Int32, _ fd: Int32, _ interest: IOEvents) throws(SystemError) {
        if csf_epoll_ctl(epfd, op, fd, kernelMask(interest), UInt64(UInt32(bitPattern: fd))) < 0 {
            throw SystemError(call: "epoll_ctl", errno: Glibc.errno, fd: fd)
        }
    }

    public mutating func add(fd: Int32, interest: IOEvents) throws(SystemError) {
        try control(csf_epoll_ctl_add(), fd, interest)
    }

    public mutating func modify(fd: Int32, old: IOEvents, new: IOEvents) throws(SystemError) {
        try control(csf_epoll_ctl_mod(), fd, new)
    }

    public mutating func remove(fd: Int32, old: IOEvents) {
        // ENOENT/EBADF here mean the fd was closed first, which already removed it from the set.
        _ = csf_epoll_ctl(epfd, csf_epoll_ctl_del(), fd, 0, 0)
    }

    public mutating func poll(timeoutMillis: Int32, interests: InterestTable, into fired: inout [FiredEvent]) throws(SystemError) -> Bool {
        let n = csf_epoll_wait(epfd, buffer, Int32(Self.batch), timeoutMillis)
        if n < 0 {
            let e = Glibc.errno
            if e == EINTR { return false }
            throw SystemError(call: "epoll_wait", errno: e, fd: epfd)
        }
        for i in 0..<Int(n) {
            let raw = buffer[i]
            var events = IOEvents.none
            if raw.events & csf_EPOLLIN != 0 { events.insert(.readable) }
            if raw.events & csf_EPOLLOUT != 0 { events.insert(.writable) }
            if raw.events & (csf_EPOLLERR | csf_EPOLLHUP) != 0 { events.formUnion([.hangup, .readable, .writable]) }
            fired.append(FiredEvent(fd: Int32(truncatingIfNeeded: raw.data), events: events))
        }
        return true
    }

    public mutating func close() {
        if epfd >= 0 { Sys.close(epfd); epfd = -1 }
        buffer.deallocate()
    }
}
