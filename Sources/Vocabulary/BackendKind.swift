// The I/O designs of the embedded server, by the names users type on the command line and
// in scenarios. Part of the vocabulary every layer shares, so no layer re-declares them.

/// The three classic single-process designs and a completion-based fourth, chosen at run time by name.
public enum BackendKind: String, CaseIterable, Sendable, Codable, Hashable {
    /// Never waits in the kernel; tries every descriptor every iteration (the seed's design).
    case busy
    /// select(2): descriptors below FD_SETSIZE only; O(highest fd) per wait.
    case select
    /// epoll(7): cost proportional to the ready descriptors, not the watched ones.
    case epoll
    /// io_uring(7), completion-based: the kernel accepts, receives into provided buffers and
    /// sends while the loop only reaps completions; almost no syscalls per message. Embedded
    /// server only (the event loop of the clients and the proxy is readiness-based).
    case uring

    /// The readiness-based designs an `EventLoop` runs on (all but uring).
    public static let pollers: [BackendKind] = [.busy, .select, .epoll]
}
