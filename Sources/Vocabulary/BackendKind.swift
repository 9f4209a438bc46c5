// The three I/O designs of the embedded server, by the names users type on the command line and
// in scenarios. Part of the vocabulary every layer shares, so no layer re-declares them.

/// The three classic single-process designs, chosen at run time by name.
public enum BackendKind: String, CaseIterable, Sendable, Codable, Hashable {
    /// Never waits in the kernel; tries every descriptor every iteration (the seed's design).
    case busy
    /// select(2): descriptors below FD_SETSIZE only; O(highest fd) per wait.
    case select
    /// epoll(7): cost proportional to the ready descriptors, not the watched ones.
    case epoll
}
