// select(2) backend: descriptors below FD_SETSIZE only. add() refuses any other descriptor
// (the FD_* macros would write past the set), so the caller can close it and carry on.
// Each wait copies the master sets and scans every descriptor up to the highest: O(max fd).

import CSockfuzz
import Glibc
import Syscalls

public struct SelectBackend: PollerBackend {
    public static let kind = BackendKind.select
    public static let descriptorLimit: Int32? = csf_fd_setsize()

    private var readSet = fd_set()
    private var writeSet = fd_set()
    private var highest: Int32 = -1

    public init(options: BackendOptions) throws(SystemError) {
        csf_fd_zero(&readSet)
        csf_fd_zero(&writeSet)
    }

    private mutating func apply(_ fd: Int32, _ interest: IOEvents) throws(SystemError) {
        guard fd >= 0, fd < csf_fd_setsize() else {
            throw SystemError(call: "select(FD_SETSIZE)", errno: EMFILE, fd: fd)
        }
        if interest.contains(.readable) { csf_fd_set(fd, &readSet) } else { csf_fd_clr(fd, &readSet) }
        if interest.contains(.writable) { csf_fd_set(fd, &writeSet) } else { csf_fd_clr(fd, &writeSet) }
        if fd > highest { highest = fd }
    }

    public mutating func add(fd: Int32, interest: IOEvents) throws(SystemError) {
        try apply(fd, interest)
    }

    public mutating func modify(fd: Int32, old: IOEvents, new: IOEvents) throws(SystemError) {
        try apply(fd, new)
    }

    public mutating func remove(fd: Int32, old: IOEvents) {
        guard fd >= 0, fd < csf_fd_setsize() else { return }
        csf_fd_clr(fd, &readSet)
        csf_fd_clr(fd, &writeSet)
        // Lower the high-water mark past descriptors no longer watched; O(gap), amortised small.
        while highest >= 0 && csf_fd_isset(highest, &readSet) == 0 && csf_fd_isset(highest, &writeSet) == 0 {
            highest -= 1
        }
    }

    public mutating func poll(timeoutMillis: Int32, interests: InterestTable, into fired: inout [FiredEvent]) throws(SystemError) -> Bool {
        var readable = readSet
        var writable = writeSet
        let n = csf_select(highest + 1, &readable, &writable, timeoutMillis)
        if n < 0 {
            let e = Glibc.errno
            if e == EINTR { return false }
            throw SystemError(call: "select", errno: e)
        }
        guard n > 0 else { return true }
        // Scan the returned sets a 64-bit word at a time (glibc lays fd_set out as longs, fd d
        // at bit d % 64 of word d / 64; the FD_* macros would be a call per descriptor through
        // the C shim): empty words cost one comparison.
        let words = (Int(highest) + 64) / 64
        withUnsafeBytes(of: &readable) { r in
            withUnsafeBytes(of: &writable) { w in
                for i in 0..<words {
                    let rw = r.load(fromByteOffset: i * 8, as: UInt64.self)
                    let ww = w.load(fromByteOffset: i * 8, as: UInt64.self)
                    var any = rw | ww
                    while any != 0 {
                        let bit = any.trailingZeroBitCount
                        any &= any &- 1
                        var events = IOEvents.none
                        if rw & (1 << UInt64(bit)) != 0 { events.insert(.readable) }
                        if ww & (1 << UInt64(bit)) != 0 { events.insert(.writable) }
                        fired.append(FiredEvent(fd: Int32(i * 64 + bit), events: events))
                    }
                }
            }
        }
        return true
    }

    public mutating func close() {}
}
