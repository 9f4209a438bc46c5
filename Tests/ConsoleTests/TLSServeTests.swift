// `sockfuzz serve --tls` and `server start MODE tls` through the built executable, as a user
// runs them: `openssl s_client` gets its lines echoed (self-signed, and with PEM files made by
// `openssl req`, verified against them), option mistakes exit 2, and a scenario reads the
// TLS counters. The commands are the ones docs/testing-your-own-server.md shows.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("serve --tls through the executable", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct TLSServeTests {

    @Test("openssl s_client -quiet against serve --tls gets back what it sends", .needs(.openssl))
    func sClientEchoes() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        let serve = try RunningSockfuzz(["serve", "--tls", "--mode", "epoll", "--edge"], scratch: scratch)
        let port = try #require(await listeningPort(serve))
        let reply = try OpenSSLClient.exchange(openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet"],
                                               send: "hello over tls\n", expect: "hello over tls\n")
        #expect(reply.contains("hello over tls"), "s_client printed: \(reply)")
        serve.signal(SIGTERM)
        let run = await serve.finish()
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("self-signed"))
        #expect(counter("tls_handshakes", in: run.output) == 1, "\(run.output)")
        #expect(counter("bytes_in", in: run.output) == 15)
    }

    @Test("serve --tls --cert --key serves the given certificate; s_client verifies it", .needs(.openssl))
    func certificateFiles() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        let (cert, key) = try localhostCertificate(openssl, in: scratch.path)
        for mode in ["busy", "select", "epoll"] {
            let serve = try RunningSockfuzz(["serve", "--tls", "--cert", cert, "--key", key, "--mode", mode], scratch: scratch)
            let port = try #require(await listeningPort(serve))
            let reply = try OpenSSLClient.exchange(openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet",
                                                             "-CAfile", cert, "-verify_return_error", "-verify_hostname", "localhost"],
                                                   send: "verified \(mode)\n", expect: "verified \(mode)\n")
            #expect(reply.contains("verified \(mode)"), "\(mode): s_client printed: \(reply)")
            serve.signal(SIGTERM)
            let run = await serve.finish()
            #expect(run.output.contains("TLS with \(cert)"), "\(run.output)")
            #expect(counter("tls_handshakes", in: run.output) == 1, "\(mode): \(run.output)")
        }
    }

    @Test("a scenario's cert= and key= are read relative to the scenario file", .needs(.openssl))
    func scenarioCertificateFiles() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/certs", withIntermediateDirectories: true)
        try runTool(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", scratch.path + "/certs/key.pem", "-out", scratch.path + "/certs/cert.pem",
                              "-days", "1", "-subj", "/CN=localhost"])
        let file = scratch.path + "/files.scn"
        try """
        server start select tls cert=certs/cert.pem key=certs/key.pem
        connect web 1
        send web "clear text"
        expect server tls_handshake_failures == 1 within 5s
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("TLS option mistakes are usage errors (exit 2)", arguments: [
        (["serve", "--cert", "c.pem", "--key", "k.pem"], "need --tls"),
        (["serve", "--tls", "--cert", "c.pem"], "needs its key"),
        (["serve", "--mode", "select", "--fault", "tls-ignore-pending"], "needs --mode epoll"),
    ])
    func usageErrors(arguments: [String], message: String) async throws {
        let run = try await Piped.run(arguments, input: "", scratch: Scratch())
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }

    @Test("a certificate file that does not exist: serve says so and fails")
    func missingCertificate() async throws {
        let run = try await Piped.run(["serve", "--tls", "--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem"], input: "", scratch: Scratch())
        #expect(run.status != 0)
        #expect(run.output.contains("cannot use the certificate /nonexistent/c.pem"), "\(run.output)")
    }

    @Test("a scenario starts the TLS server in every mode and reads its counters: a clear client fails the handshake")
    func scenarioCounters() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/tls.scn"
        try """
        # A clear-text client against the TLS server: a handshake failure, counted.
        server start epoll tls
        connect web 1
        send web "GET / HTTP/1.0\\r\\n\\r\\n"
        expect server tls_handshake_failures == 1 within 5s
        expect server tls_handshakes == 0
        expect web eof within 5s
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", "--mode", "all", "--verbose", file], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.components(separatedBy: ", TLS").count - 1 >= 3, "\(run.output)")
    }
}

// MARK: helpers

/// The port from serve's "listening on 127.0.0.1:PORT, mode ..." line.
func listeningPort(_ serve: RunningSockfuzz) async -> Int? {
    guard await serve.waitForOutput(containing: "Ctrl-C or SIGTERM", timeout: 60),
          let range = serve.output.range(of: "listening on 127.0.0.1:") else { return nil }
    return Int(serve.output[range.upperBound...].prefix { $0.isNumber })
}

/// A counter from serve's final "  name   value" lines.
private func counter(_ name: String, in output: String) -> UInt64? {
    for line in output.split(separator: "\n") {
        let words = line.split(separator: " ")
        if words.count == 2, words[0] == name { return UInt64(words[1]) }
    }
    return nil
}

/// cert.pem and key.pem in `folder`, made by `openssl req`: EC P-256, self-signed for
/// localhost and 127.0.0.1, valid for a day.
func localhostCertificate(_ openssl: String, in folder: String) throws -> (cert: String, key: String) {
    let cert = folder + "/cert.pem", key = folder + "/key.pem"
    try runTool(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    return (cert, key)
}

func runTool(_ path: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SpawnError("\(path) \(arguments) exited \(process.terminationStatus)") }
}

/// `openssl s_client` (or another interactive client) fed one line, its output read until the
/// expected text or 30 s, then killed by its pid (with -quiet it ignores the end of its input).
enum OpenSSLClient {
    static func exchange(_ path: String, _ arguments: [String], send: String, expect: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: a child of Foundation's Process inherits the test runner's blocked signals.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data(send.utf8))
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Deadline(secondsFromNow: 30)
        var collected = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: collected, as: UTF8.self).contains(expect) {
            guard pollOne(fd, events: Int16(POLLIN), deadline: deadline) != 0 else { break }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            collected += chunk[..<n]
        }
        return String(decoding: collected, as: UTF8.self)
    }
}
