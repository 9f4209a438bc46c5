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
        let target: Target
        if let given = config.target {
            target = given
        } else {
            let server = EchoServer(configuration: ServerConfiguration(mode: config.mode, tls: config.tls == nil ? nil : ServerTLS()))
            do { target = Target(try server.start()) } catch { return "the embedded server did not start: \(error)" }
            embedded = server
        }
        let tls: TLSClientContext?
        do { tls = try config.tls.map { settings throws(TLSClientError) in try TLSClientContext(settings) } } catch {
            return "the TLS client settings: \(error)"
        }
        oracle.references = []
        for request in oracle.requests {
            switch ReferenceClient.reply(to: request, at: target, framing: oracle.framing, timeoutNanos: config.timeoutNanos, tls: tls) {
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
/// checking the target's `tlsName`.
enum ReferenceClient {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func reply(to request: [UInt8], at target: Target, framing: Framing,
                      timeoutNanos: UInt64, tls: TLSClientContext? = nil) -> Result<[UInt8], Problem> {
        let deadline = Sys.monotonicNanos() &+ timeoutNanos
        let fd: Int32, transport: Transport
        switch Connector.open(to: target.address, tls: tls.map { Connector.TLSTarget($0, host: target.tlsName) }, until: deadline) {
        case .success(let open): (fd, transport) = (open.fd, open.transport)
        case .failure(let failure): return .failure(Problem(description: failure.description))
        }
        defer { Sys.close(fd) }
        // Runs before the close above: the SSL uses the descriptor.
        defer { transport.end() }
        do {
            guard try transport.send(fd, all: request, until: deadline) else {
                return .failure(Problem(description: "the request was not taken within the deadline"))
            }
            var decoder = FrameDecoder(framing)
            if case .http1 = framing { decoder.noteRequest(isHEAD: HTTP1Request.isHEAD(request)) }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var frames: [Frame] = []
            while frames.isEmpty {
                guard let n = try buffer.withUnsafeMutableBytes({ try transport.receive(fd, $0.baseAddress!, $0.count, until: deadline) }) else {
                    return .failure(Problem(description: "no whole \(framing) reply within the deadline (\(decoder.pendingByteCount) byte(s) of one)"))
                }
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
}
