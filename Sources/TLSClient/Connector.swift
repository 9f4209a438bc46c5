// Opening a client connection, the one way every client side of sockfuzz does it (the session's
// engine, the connect bursts of `load` and `bench`, the fuzzer's reference and probes): the TCP
// connect (Syscalls' TCPConnect, which the clear-only probes use alone) and, with TLS, the
// handshake after it, one step each time the socket is ready for what the last step waits for.
// The owner decides how to wait (its event loop, or poll(2) with a deadline: `open(to:until:)`),
// how many to keep in flight (`ConnectSlots`) and what an open connection does; it gets the
// descriptor and its `Transport`.

import COpenSSL
import Glibc
import Syscalls

public enum Connector {
    /// Why a connection could not be opened.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The server refused it (ECONNREFUSED).
        case refused
        /// socket(), the owner's preparation of the socket, or the connect itself failed.
        case system(SystemError)
        /// A setup step of the owner's (binding a source address, say), in its words.
        case setup(String)
        /// The TLS handshake failed, in OpenSSL's words.
        case handshake(String)
        /// Not open by the deadline (the poll-driven `open` only; owners with a loop time out
        /// attempts themselves).
        case timedOut

        /// A failed TCP connect: refused, or another system error.
        init(connecting error: SystemError) {
            self = error.errno == ECONNREFUSED ? .refused : .system(error)
        }

        /// The errno a connection view reports for it.
        public var errno: Int32 {
            switch self {
            case .refused: ECONNREFUSED
            case .system(let error): error.errno
            case .setup: EINVAL
            case .handshake: EPROTO
            case .timedOut: ETIMEDOUT
            }
        }

        public var description: String {
            switch self {
            case .refused: "connect: \(SystemError.describe(ECONNREFUSED))"
            case .system(let error): error.call == "connect" ? "connect: \(SystemError.describe(error.errno))" : "\(error)"
            case .setup(let why): why
            case .handshake(let why): "TLS handshake failed: \(why)"
            case .timedOut: "no connection within the deadline"
            }
        }
    }

    /// What an attempt's last step waits for before the next.
    public enum Wait: Sendable { case readable, writable }

    public enum Step {
        case waits(Wait)
        /// Open (with TLS, handshaken): the owner's from here, bytes moving through `Transport`.
        case open(Transport)
        /// Failed; the descriptor stays the owner's to forget and close.
        case failed(Failure)
    }

    /// With TLS, what the handshake needs: the context and the name to send and check.
    public struct TLSTarget {
        public let context: TLSClientContext
        public let host: String
        public init(_ context: TLSClientContext, host: String) {
            self.context = context
            self.host = host
        }
    }

    /// One connection being opened. Its descriptor is the owner's from `start` on (to register
    /// with a loop, to close); its SSL, while the handshake runs, is the attempt's until the
    /// step that opens it (`abandon` frees it when the owner gives up first).
    public struct Attempt {
        public let fd: Int32
        private let tls: TLSTarget?
        /// Made once TCP is up, with TLS.
        public private(set) var ssl: OpaquePointer?

        /// A non-blocking socket connecting to `address`; `prepare` may set options on it or move
        /// it to another descriptor (returning that one) before the connect. The step says what
        /// comes next: loopback connects often complete at once. Nil (with the failure) when no
        /// socket came to be, or it was closed again.
        public static func start(to address: SocketAddress, tls: TLSTarget?,
                                 prepare: (Int32) -> Result<Int32, Failure> = { .success($0) }) -> (Attempt?, Step) {
            var fd: Int32
            do { fd = try Sys.socket(family: address.family) } catch { return (nil, .failed(.system(error))) }
            switch prepare(fd) {
            case .success(let prepared): fd = prepared
            case .failure(let failure):
                Sys.close(fd)
                return (nil, .failed(failure))
            }
            var attempt = Attempt(fd: fd, tls: tls)
            return (attempt, attempt.tcpStep(TCPConnect.begin(fd, to: address)))
        }

        fileprivate init(fd: Int32, tls: TLSTarget?) {
            self.fd = fd
            self.tls = tls
        }

        /// The next step, once the socket is ready for what the last one waited for.
        public mutating func advance() -> Step {
            guard let ssl else { return tcpStep(TCPConnect.finish(fd)) }
            return handshake(ssl)
        }

        /// Frees the SSL of an attempt the owner gives up (a timeout); the descriptor stays its.
        public mutating func abandon() {
            if let ssl { TLSIO.free(ssl) }
            ssl = nil
        }

        private mutating func tcpStep(_ step: TCPConnect.Step) -> Step {
            switch step {
            case .connected: connected()
            case .waits: .waits(.writable)
            case .failed(let error): .failed(Failure(connecting: error))
            }
        }

        /// TCP is up: open in clear, or start the handshake.
        fileprivate mutating func connected() -> Step {
            guard let tls else { return .open(.clear) }
            do {
                ssl = try tls.context.session(fd: fd, host: tls.host)
            } catch {
                return .failed(.handshake(error.description))
            }
            return handshake(ssl!)
        }

        private mutating func handshake(_ session: OpaquePointer) -> Step {
            ERR_clear_error()
            do {
                switch try TLSIO.handshake(session) {
                case .done:
                    ssl = nil
                    return .open(.tls(session))
                case .wantsReadable: return .waits(.readable)
                case .wantsWritable: return .waits(.writable)
                }
            } catch {
                abandon()
                return .failed(.handshake(error.description))
            }
        }
    }

    /// A connection to `address` opened (and, with TLS, handshaken) before the monotonic
    /// `deadline`, waiting with poll(2): for the checks that need a connection of their own
    /// outside any loop. Nothing is left open on failure.
    public static func open(to address: SocketAddress, tls: TLSTarget? = nil,
                            until deadline: UInt64) -> Result<(fd: Int32, transport: Transport), Failure> {
        let fd: Int32
        switch TCPConnect.open(to: address, until: deadline) {
        case .success(let connected): fd = connected
        case .failure(.timedOut): return .failure(.timedOut)
        case .failure(.system(let error)): return .failure(Failure(connecting: error))
        }
        var attempt = Attempt(fd: fd, tls: tls)
        var step = attempt.connected()
        while true {
            switch step {
            case .open(let transport):
                return .success((fd, transport))
            case .failed(let failure):
                Sys.close(fd)
                return .failure(failure)
            case .waits(let wait):
                guard Sys.poll(fd, for: wait == .readable ? Int16(POLLIN) : Int16(POLLOUT), until: deadline) else {
                    attempt.abandon()
                    Sys.close(fd)
                    return .failure(.timedOut)
                }
                step = attempt.advance()
            }
        }
    }
}

/// The bound on connects in flight (TCP and TLS handshakes together): a connect takes a slot
/// or waits its turn, in order; each one that ends, however, frees its slot for the next.
public struct ConnectSlots<Waiting> {
    public let limit: Int
    public private(set) var inFlight = 0
    private var waiting: [Waiting] = []
    private var nextWaiting = 0

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot for a connect, or queues `waiter` for one: true when it may start now (a
    /// slot is free and none waits for one).
    public mutating func take(orQueue waiter: Waiting) -> Bool {
        if inFlight < limit && nextWaiting == waiting.count {
            inFlight += 1
            return true
        }
        waiting.append(waiter)
        return false
    }

    /// A connect ended: its slot goes to the longest waiting that `canStart` still (the owner
    /// may have closed some meanwhile), returned with the slot taken; nil when none waits.
    @discardableResult
    public mutating func release(to canStart: (Waiting) -> Bool = { _ in true }) -> Waiting? {
        inFlight -= 1
        while nextWaiting < waiting.count {
            let next = waiting[nextWaiting]
            nextWaiting += 1
            if nextWaiting == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                nextWaiting = 0
            }
            if canStart(next) {
                inFlight += 1
                return next
            }
        }
        return nil
    }

    /// Forgets every waiter (the owner closes everything).
    public mutating func dropWaiting() {
        waiting.removeAll()
        nextWaiting = 0
    }
}
