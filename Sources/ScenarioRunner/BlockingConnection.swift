// One clear-text TCP connection driven by hand: a non-blocking socket and poll(2) with a deadline
// for every step, for the checks that need a connection of their own outside the session's loop
// (a liveness probe, a content fuzz execution). What arrives while a send waits for room is kept
// for the next receive, so a server that answers before it has read everything cannot deadlock it.

import CSockfuzz
import Glibc
import Syscalls
import TLSClient

public final class BlockingConnection {
    public let fd: Int32
    private var early: [UInt8] = []
    private var ended: Ending?
    /// Reads land here first: one buffer for the connection's life, not one per read.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    public enum Ending: Sendable, Equatable {
        /// The peer closed its side (read returned 0).
        case eof
        /// ECONNRESET, EPIPE: the peer reset the connection, or closed it with our bytes unread.
        case reset
        case error(String)

        /// How a failed read or write ended the connection.
        init(errno: Int32) {
            self = errno == EPIPE || errno == ECONNRESET ? .reset : .error(Format.errno(errno))
        }
    }

    public enum ConnectProblem: Error, Sendable, Equatable, CustomStringConvertible {
        case refused
        case timedOut
        case failed(String)

        public var description: String {
            switch self {
            case .refused: return "connection refused"
            case .timedOut: return "no connection within the deadline"
            case .failed(let why): return why
            }
        }
    }

    private init(fd: Int32) { self.fd = fd }

    deinit { Sys.close(fd) }

    /// A connection to `address`, established before the monotonic `deadline`.
    public static func connect(_ address: SocketAddress, until deadline: UInt64) -> Result<BlockingConnection, ConnectProblem> {
        switch Connector.open(to: address, until: deadline) {
        case .success(let open):
            // No Nagle: requests written back to back must leave at once, not wait on the server's
            // delayed ACK (up to 40 ms), which would make a reply's timing the kernel's, not the server's.
            try? Sys.setNoDelay(open.fd)
            return .success(BlockingConnection(fd: open.fd))
        case .failure(.refused): return .failure(.refused)
        case .failure(.timedOut): return .failure(.timedOut)
        case .failure(let failure): return .failure(.failed(failure.description))
        }
    }

    /// Writes all of `bytes` before `deadline`; false when the connection ended or the time ran
    /// out first (`ending` then says which, nil for the time).
    public func send(_ bytes: [UInt8], until deadline: UInt64) -> Bool {
        guard ended == nil else { return bytes.isEmpty }
        do {
            return try Transport.clear.send(fd, all: bytes, until: deadline) { [self] in
                readAvailable(into: &early)
                return ended == nil
            }
        } catch {
            ended = Ending(errno: (error as? SystemError)?.errno ?? EIO)
            return false
        }
    }

    /// How the connection ended, once it has.
    public var ending: Ending? { ended }

    /// Bytes that arrive before `deadline` (appended to `buffer`); false when none did because
    /// the connection ended (`ending`) or the time ran out.
    public func receive(into buffer: inout [UInt8], until deadline: UInt64) -> Bool {
        if !early.isEmpty {
            buffer += early
            early.removeAll()
            return true
        }
        while ended == nil {
            let before = buffer.count
            readAvailable(into: &buffer)
            if buffer.count > before { return true }
            if ended != nil { break }
            guard Sys.poll(fd, for: Int16(POLLIN), until: deadline) else { return false }
        }
        return false
    }

    /// Reads what is there without waiting; notes the end if it came.
    private func readAvailable(into buffer: inout [UInt8]) {
        while ended == nil {
            let read: IOResult<Int>
            do { read = try chunk.withUnsafeMutableBytes { try Transport.clear.receive(fd, $0.baseAddress!, $0.count) } } catch {
                ended = Ending(errno: (error as? SystemError)?.errno ?? EIO)
                return
            }
            guard case .processed(let n) = read else { return }
            if n == 0 { ended = .eof; return }
            buffer += chunk[..<n]
            if n < chunk.count { return }
        }
    }
}
