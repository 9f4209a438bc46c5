// The loop's cross-thread handle: stop() and wake() are safe from any thread and make a
// blocked wait return promptly in every backend (an eventfd for epoll/select; the busy loop
// never blocks and reads the flag each iteration).

import Glibc
import Synchronization
import Syscalls

public final class LoopWaker: Sendable {
    /// Owned here, not by the loop, so a late stop() from another thread can never write to a
    /// descriptor number that was closed and reused: it closes when the last holder lets go.
    public let fd: Int32
    private let stopFlag = Atomic<Bool>(false)

    // Not inlined: cross-module optimisation inlining this into EventLoop.init crashes the
    // Swift 6.3.1 compiler (an ownership-verifier error on the Atomic's drop_deinit).
    @inline(never)
    public init() throws(SystemError) {
        fd = try Sys.eventFD()
    }

    deinit { Sys.close(fd) }

    public var isStopRequested: Bool { stopFlag.load(ordering: .acquiring) }

    public func stop() {
        stopFlag.store(true, ordering: .releasing)
        wake()
    }

    public func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    /// Clears the eventfd's counter after it fired.
    func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }
}
