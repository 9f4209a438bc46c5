// Busy-polling backend, the seed's first design: never waits in the kernel and reports every
// watched descriptor as ready on every call. Handlers try the I/O and meet EAGAIN when there
// was nothing to do, so each iteration costs O(connections) syscalls: the cost it exists to show.

import Syscalls

public struct BusyPollBackend: PollerBackend {
    public static let kind = BackendKind.busy
    public static let descriptorLimit: Int32? = nil

    public init(options: BackendOptions) throws(SystemError) {}

    // The interest table is the loop's; this backend needs no books of its own.
    public mutating func add(fd: Int32, interest: IOEvents) throws(SystemError) {}
    public mutating func modify(fd: Int32, old: IOEvents, new: IOEvents) throws(SystemError) {}
    public mutating func remove(fd: Int32, old: IOEvents) {}

    public mutating func poll(timeoutMillis: Int32, interests: InterestTable, into fired: inout [FiredEvent]) throws(SystemError) -> Bool {
        for fd in interests.watched {
            fired.append(FiredEvent(fd: fd, events: interests.interest(of: fd)))
        }
        return true
    }

    public mutating func close() {}
}
