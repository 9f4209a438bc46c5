// HEAD through the executable against nginx: a HEAD response carries Content-Length but no
// body, so a client that missed the HEAD would take the next response's first bytes as that
// body. Pins that the client engine (a scenario, the request after empty lines) and request
// load (a HEAD and GET mix) both learn a request is HEAD from HTTP1Request.isHEAD.

import Foundation
import Testing
import TestSupport

@Suite("HEAD replies have no body", .childSlot, .serialized)
struct HeadReplyTests {
    static func nginx() throws -> NginxServer {
        try NginxServer(executable: try RequiredTool.nginx.requirePath(), files: ["a.txt": "first\n"])
    }

    @Test("a scenario reads a HEAD response (after empty lines) and the GET response behind it whole", .needs(.nginx))
    func scenarioHeadThenGet() async throws {
        let server = try Self.nginx()
        defer { server.stop() }
        let scratch = Scratch()
        let file = scratch.path + "/head.scn"
        try #"""
            connect web 1 framing=http1
            send web "\r\nHEAD /a.txt HTTP/1.1\r\nHost: test\r\n\r\n"
            send web "GET /a.txt HTTP/1.1\r\nHost: test\r\n\r\n"
            expect web reply match "\AHTTP/1\.1 200 [\s\S]*Content-Length: 6\r\n[\s\S]*\r\n\r\n\z" within 5s
            expect web reply match "\AHTTP/1\.1 200 [\s\S]*\r\n\r\nfirst\n\z" within 5s
            expect web no-reply within 100ms

            """#.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file, "--target", server.address], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
    }

    // Paced: nginx closes a keep-alive connection after 1000 requests (keepalive_requests).
    @Test("load with HEAD and GET requests mixed answers every one", .needs(.nginx))
    func loadHeadAndGet() async throws {
        let server = try Self.nginx()
        defer { server.stop() }
        let scratch = Scratch()
        let requests = scratch.path + "/requests.txt"
        try #"""
            HEAD /a.txt HTTP/1.1\r\nHost: test\r\n\r\n
            GET /a.txt HTTP/1.1\r\nHost: test\r\n\r\n

            """#.write(toFile: requests, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["load", "--target", server.address, "--request-file", requests, "--framing", "http1",
                                 "--expect", #"^HTTP/1\.1 200 "#, "--connections", "4", "--rate", "1k/s", "--duration", "1s"],
                                input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("load: PASSED"), "\(run.output)")
    }
}
