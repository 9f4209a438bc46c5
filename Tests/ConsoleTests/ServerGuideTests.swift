// docs/testing-your-own-server.md works as written: each of its scenarios runs, through the
// executable, against the server it is written for (started by the test on loopback) and passes.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("The testing-your-own-server guide", .childSlot, .serialized)
struct ServerGuideTests {
    /// The ```scn blocks of the guide, in order.
    static func scenarios() throws -> [String] {
        let doc = try String(contentsOfFile: Binary.packageRoot + "/docs/testing-your-own-server.md", encoding: .utf8)
        return doc.components(separatedBy: "```scn\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] + "\n" }
    }

    func run(_ scenario: String, _ variable: String, _ address: String) async throws -> PipedRun {
        let scratch = Scratch()
        let file = scratch.path + "/guide.scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        setenv(variable, address, 1)
        defer { unsetenv(variable) }
        return try await Piped.run(["run", file, "-v"], input: "", scratch: scratch)
    }

    /// The guide's scenario aimed at `${variable}`.
    static func scenario(for variable: String) throws -> String {
        try #require(try scenarios().first { $0.contains("target ${\(variable)}") }, "no scenario with target ${\(variable)}")
    }

    @Test("the guide has its redis, nginx, memcached and nginx-over-TLS scenarios (TLSClientTests runs the TLS one)")
    func blocks() throws {
        let blocks = try Self.scenarios()
        #expect(blocks.count == 4)
        for variable in ["REDIS_ADDR", "NGINX_ADDR", "MEMCACHED_ADDR", "NGINX_TLS_ADDR"] { _ = try Self.scenario(for: variable) }
    }

    @Test("the redis scenario passes against redis-server", .needs(.redisServer))
    func redis() async throws {
        let redis = try ReplyTests.startRedis()
        defer { redis.stop() }
        let result = try await run(try Self.scenario(for: "REDIS_ADDR"), "REDIS_ADDR", "\(redis.address)")
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("the nginx scenario passes against nginx", .needs(.nginx))
    func nginx() async throws {
        let nginx = try NginxServer(executable: try RequiredTool.nginx.requirePath(), files: ["index.html": "hello\n"])
        defer { nginx.stop() }
        let result = try await run(try Self.scenario(for: "NGINX_ADDR"), "NGINX_ADDR", nginx.address)
        #expect(result.status == 0, "\(result.output)")
    }
}
