// The backend seam, small like Redis's `ae`: create, add / modify / remove interest, wait with a
// timeout into a list of fired events, name. The event loop owns the interest table and passes
// the old interest in, so a backend holds only kernel state (the epoll fd, the select sets).

import Syscalls

/// Options a backend may honour; others ignore them.
public struct BackendOptions: Sendable, Equatable {
    /// epoll only: EPOLLET. Handlers must then drain every socket until EAGAIN.
    public var edgeTriggered: Bool
    public init(edgeTriggered: Bool = false) { self.edgeTriggered = edgeTriggered }
}

public protocol PollerBackend: SendableMetatype {
    /// The name users type: "busy", "select", "epoll".
    static var kind: BackendKind { get }

    /// The first descriptor number this backend cannot watch (select: FD_SETSIZE), nil if none.
    static var descriptorLimit: Int32? { get }

    init(options: BackendOptions) throws(SystemError)

    /// Starts watching `fd` for `interest` (never empty).
    mutating func add(fd: Int32, interest: IOEvents) throws(SystemError)

    /// Changes the interest of a watched `fd` (`old` and `new` are never empty).
    mutating func modify(fd: Int32, old: IOEvents, new: IOEvents) throws(SystemError)

    /// Stops watching `fd`, which had interest `old`. The fd may already be closed.
    mutating func remove(fd: Int32, old: IOEvents)

    /// Waits at most `timeoutMillis` (-1: no limit, 0: do not block) and appends what fired to
    /// `fired`. Over-reporting is legal: the loop filters by interest and handlers treat EAGAIN
    /// as normal. Returns false when a signal cut the wait short (EINTR): the loop then
    /// recomputes the timeout from its timers and waits again.
    mutating func poll(timeoutMillis: Int32, interests: InterestTable, into fired: inout [FiredEvent]) throws(SystemError) -> Bool

    /// Releases the kernel state.
    mutating func close()
}
