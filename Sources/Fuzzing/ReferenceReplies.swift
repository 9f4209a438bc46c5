// The request/response oracle's references, from a clean run: each request alone, written
// whole, on a fresh connection, one at a time, its first whole reply kept. A request that gets
// no reply, a malformed one or more than one is a usage problem (wrong request or framing),
// said before any fuzz run. Under --tls over TLS, with the run's client settings, against a TLS
// server (the embedded one serves TLS then).

import EmbeddedServer
import Framing
import Glibc
import ScenarioLanguage
import Syscalls
import TLSClient

extension Fuzzer {
    /// Fills in `config`'s reference replies (the request/response oracle only), from its
    /// target or from an embedded server started for it; what went wrong, or nil.
    public static func fetchReferences(_ config: inout FuzzConfiguration) -> String? {
        guard case .requests(var oracle) = config.oracle else { return nil }
        var embedded: EchoServer?
        defer { embedded?.stop() }
        let address: SocketAddress
        if let target = config.target {
            address = target
        } else {
            let server = EchoServer(configuration: ServerConfiguration(mode: config.mode, tls: config.tls == nil ? nil : ServerTLS()))
            do { address = try server.start() } catch { return "the embedded server did not start: \(error)" }
            embedded = server
        }
        let tls: TLSClientContext?
        do { tls = try config.tls.map { settings throws(TLSClientError) in try TLSClientContext(settings) } } catch {
            return "the TLS client settings: \(error)"
        }
        oracle.references = []
        for request in oracle.requests {
            switch ReferenceClient.reply(to: request, at: address, framing: oracle.framing, timeoutNanos: config.timeoutNanos, tls: tls,
                                         tlsHost: config.targetHost) {
            case .success(let reply): oracle.references.append(reply)
            case .failure(let problem):
                return "the clean run of request \(FrameText.render(request)) alone on a fresh connection: \(problem.description)"
            }
        }
        config.oracle = .requests(oracle)
        return nil
    }
}

/// One request on one fresh blocking-style connection (non-blocking socket, poll with a deadline),
/// over TLS when given a context (a full handshake first; close_notify at the end), sending and
/// checking `tlsHost` (the target's name as written; nil: the address).
enum ReferenceClient {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func reply(to request: [UInt8], at address: SocketAddress, framing: Framing,
                      timeoutNanos: UInt64, tls: TLSClientContext? = nil, tlsHost: String? = nil) -> Result<[UInt8], Problem> {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        let fd: Int32
        do { fd = try Sys.socket(family: address.family) } catch { return .failure(Problem(description: "\(error)")) }
        defer { Sys.close(fd) }
        do {
            if case .wouldBlock = try Sys.connect(fd, address) {
                guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .failure(Problem(description: "no connection within the deadline")) }
                let error = try Sys.pendingError(fd)
                guard error == 0 else { return .failure(Problem(description: "connect: \(String(cString: strerror(error)))")) }
            }
            var ssl: OpaquePointer?
            // Runs before the close above: the SSL uses the descriptor.
            defer { ssl.map(TLSIO.end) }
            if let tls {
                let session = try tls.session(fd: fd, host: tlsHost ?? address.host)
                ssl = session
                while true {
                    let step = try TLSIO.handshake(session)
                    if case .done = step { break }
                    guard wait(fd, for: Int16(step == .wantsWritable ? POLLOUT : POLLIN), until: deadline) else {
                        return .failure(Problem(description: "no TLS handshake within the deadline"))
                    }
                }
            }
            var sent = 0
            while sent < request.count {
                let result = try request[sent...].withUnsafeBytes { bytes in
                    if let ssl { return try TLSIO.write(ssl, bytes.baseAddress!, bytes.count) }
                    return try Sys.send(fd, bytes.baseAddress!, bytes.count)
                }
                if case .processed(let n) = result { sent += n; continue }
                guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .failure(Problem(description: "the request was not taken within the deadline")) }
            }
            var decoder = FrameDecoder(framing)
            if case .http1 = framing { decoder.noteRequest(isHEAD: HTTP1Request.isHEAD(request)) }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var frames: [Frame] = []
            while frames.isEmpty {
                // Records OpenSSL read ahead show as no readiness.
                guard ssl.map(TLSIO.hasPending) == true || wait(fd, for: Int16(POLLIN), until: deadline) else {
                    return .failure(Problem(description: "no whole \(framing) reply within the deadline (\(decoder.pendingByteCount) byte(s) of one)"))
                }
                let result = try buffer.withUnsafeMutableBytes { bytes in
                    if let ssl { return try TLSIO.read(ssl, bytes.baseAddress!, bytes.count) }
                    return try Sys.recv(fd, bytes.baseAddress!, bytes.count)
                }
                guard case .processed(let n) = result else { continue }
                frames += n == 0 ? try decoder.finish() : try decoder.feed(Array(buffer[..<n]))
                if n == 0 && frames.isEmpty { return .failure(Problem(description: "the server closed without a reply")) }
            }
            guard frames.count == 1 && decoder.pendingByteCount == 0 else {
                return .failure(Problem(description: "more than one \(framing) frame came back (\(frames.map { FrameText.render($0.bytes) }.joined(separator: ", ")) ...): "
                                        + "the fuzzer needs one reply per request; pick a framing that makes each reply one frame"))
            }
            return .success(frames[0].bytes)
        } catch let error as FramingError {
            return .failure(Problem(description: "a malformed \(framing) reply: \(error)"))
        } catch {
            return .failure(Problem(description: "\(error)"))
        }
    }

    /// Waits for `events` on `fd` until the monotonic `deadline`; false when it passed first.
    static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) -> Bool {
        while true {
            let now = Sys.monotonicNanos()
            guard now < deadline else { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let millis = Int32(min(1000, (deadline - now + 999_999) / 1_000_000))
            let n = poll(&p, 1, millis)
            if n > 0 { return true }
            if n < 0 && errno != EINTR { return false }
        }
    }
}
