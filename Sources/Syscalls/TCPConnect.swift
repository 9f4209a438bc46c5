// Opening a TCP connection, the one way every side of sockfuzz does it: connect(2) on a
// non-blocking socket and, when that has to wait, the socket's pending error once it is
// writable. Owners with an event loop take the two steps (`begin`, `finish`) as their loop says;
// the checks outside any loop (readiness probes, reachability) take `open`, which waits with
// poll(2) until a deadline. TLS builds on these steps (TLSClient's Connector).

import Glibc

public enum TCPConnect {
    /// How a connect went, or goes.
    public enum Step: Equatable {
        case connected
        /// Finishes later: wait until the socket is writable, then `finish`.
        case waits
        case failed(SystemError)
    }

    /// Why `open` gave no connection.
    public enum Failure: Error, Equatable {
        case system(SystemError)
        /// Not connected by the deadline.
        case timedOut

        /// The errno a caller reports: the system's, or ETIMEDOUT.
        public var errno: Int32 {
            switch self {
            case .system(let error): error.errno
            case .timedOut: ETIMEDOUT
            }
        }
    }

    /// Starts connecting `fd` (non-blocking) to `address`: loopback connects often complete at once.
    public static func begin(_ fd: Int32, to address: SocketAddress) -> Step {
        do {
            switch try Sys.connect(fd, address) {
            case .processed: return .connected
            case .wouldBlock: return .waits
            }
        } catch {
            return .failed(error)
        }
    }

    /// The socket became writable: how its connect ended.
    public static func finish(_ fd: Int32) -> Step {
        let error = (try? Sys.pendingError(fd)) ?? EBADF
        return error == 0 ? .connected : .failed(SystemError(call: "connect", errno: error, fd: fd))
    }

    /// A connected socket to `address` before the monotonic `deadline`, waiting with poll(2).
    /// Nothing is left open on failure.
    public static func open(to address: SocketAddress, until deadline: UInt64) -> Result<Int32, Failure> {
        let fd: Int32
        do { fd = try Sys.socket(family: address.family) } catch { return .failure(.system(error)) }
        var step = begin(fd, to: address)
        if step == .waits {
            guard Sys.poll(fd, for: Int16(POLLOUT), until: deadline) else {
                Sys.close(fd)
                return .failure(.timedOut)
            }
            step = finish(fd)
        }
        if case .failed(let error) = step {
            Sys.close(fd)
            return .failure(.system(error))
        }
        return .success(fd)
    }

    /// Whether `address` accepts a connection within `nanos`: the connection is closed at once,
    /// with RST when `reset` (many tries leave no TIME_WAIT behind). Readiness and reachability
    /// checks take this.
    public static func tryOnce(_ address: SocketAddress, within nanos: UInt64, reset: Bool = false) -> Result<Void, Failure> {
        open(to: address, until: Sys.monotonicNanos() &+ nanos).map { fd in
            if reset { try? Sys.setLingerZero(fd) }
            Sys.close(fd)
        }
    }
}
