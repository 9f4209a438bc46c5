// Moving a connection's bytes outside any event loop: through its Transport on a non-blocking
// socket, waiting with poll(2) until a deadline. For the checks that need a connection of their
// own (the fuzzer's reference replies, content fuzz executions, liveness probes).

import Glibc
import Syscalls

extension Transport {
    /// Sends all of `bytes` before the monotonic `deadline`; false when the time ran out first,
    /// or `arriving` said to stop. With `arriving`, bytes the peer sends while the socket is
    /// full are announced to it (to read them: a server that answers before it has read
    /// everything would otherwise wait on the sender as the sender waits on it); it returns
    /// whether to go on. Throws the send's error.
    public func send(_ fd: Int32, all bytes: [UInt8], until deadline: UInt64, arriving: (() -> Bool)? = nil) throws -> Bool {
        let events = Int16(arriving == nil ? POLLOUT : POLLOUT | POLLIN)
        var sent = 0
        while sent < bytes.count {
            if case .processed(let n) = try bytes[sent...].withUnsafeBytes({ try send(fd, $0.baseAddress!, $0.count) }) {
                sent += n
                continue
            }
            guard let came = Sys.wait(fd, for: events, until: deadline) else { return false }
            if let arriving, came & Int16(POLLIN | POLLHUP | POLLERR) != 0, !arriving() { return false }
        }
        return true
    }

    /// Up to `count` bytes into `buffer`, waiting for some until the monotonic `deadline`: how
    /// many (0: the peer's orderly close), nil when the time ran out first. Throws the
    /// receive's error.
    public func receive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, until deadline: UInt64) throws -> Int? {
        while true {
            if case .processed(let n) = try receive(fd, buffer, count) { return n }
            // Records OpenSSL read ahead show as no readiness.
            guard hasPending || Sys.poll(fd, for: Int16(POLLIN), until: deadline) else { return nil }
        }
    }
}
