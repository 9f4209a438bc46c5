// The one error type of the syscall layer: which call failed, with which errno, on which fd.
import Glibc

public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public let call: String
    public let errno: Int32
    public let fd: Int32?

    public init(call: String, errno: Int32, fd: Int32? = nil) {
        self.call = call
        self.errno = errno
        self.fd = fd
    }

    public var description: String {
        if let fd { return "\(call)(fd \(fd)): \(Self.describe(errno))" }
        return "\(call): \(Self.describe(errno))"
    }

    /// "Connection refused (errno 111)": how every errno reads in sockfuzz's messages.
    public static func describe(_ errno: Int32) -> String {
        "\(strerror(errno).map { String(cString: $0) } ?? "unknown error") (errno \(errno))"
    }

    /// The peer went away abruptly: data, not a bug.
    public var isConnectionReset: Bool { errno == ECONNRESET || errno == EPIPE }
    /// The process or system ran out of descriptors.
    public var isDescriptorExhaustion: Bool { errno == EMFILE || errno == ENFILE }
}

/// A non-blocking call either did something or would have blocked.
public enum IOResult<T: Sendable>: Sendable {
    case processed(T)
    case wouldBlock
}

extension IOResult: Equatable where T: Equatable {}
