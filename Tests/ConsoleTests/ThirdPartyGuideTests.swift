// The guide's commands aimed at third-party servers (`$MEMCACHED_ADDR`, `$REDIS_ADDR`,
// `$NGINX_ADDR` in docs/testing-your-own-server.md) run as written, through the executable,
// against the server started here on loopback: memcached's scenario, load and fuzz pass, and the
// request/response fuzzer finds nothing on redis-server, memcached or nginx (no false alarm).
// Skipped where a server is not installed (failed under CI=true).

import Foundation
import Testing
import TestSupport

@Suite("the guide's commands against redis-server, memcached and nginx", .childSlot, .serialized)
struct ThirdPartyGuideTests {
    static let guide = "docs/testing-your-own-server.md"

    /// The guide's ```text blocks that start `# NAME.txt`, written into `scratch` as NAME.txt.
    static func writeRequestFiles(_ scratch: Scratch) throws {
        let doc = try String(contentsOfFile: Binary.packageRoot + "/" + guide, encoding: .utf8)
        for block in doc.components(separatedBy: "```text\n").dropFirst() {
            let text = block.components(separatedBy: "```")[0]
            guard text.hasPrefix("# "), let name = text.dropFirst(2).split(separator: ":").first, name.hasSuffix(".txt") else { continue }
            try text.write(toFile: scratch.path + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// Runs every command of the guide that reads `$variable` with it set to `address`; each must exit 0.
    static func runCommands(reading variable: String, address: String, _ scratch: Scratch) async throws -> [String] {
        try writeRequestFiles(scratch)
        let commands = try DocCommand.extract(from: guide).filter { $0.text.contains("$" + variable) }
        #expect(!commands.isEmpty, "the guide shows no command with $\(variable)")
        var outputs: [String] = []
        for command in commands {
            let outcome = try await ShellRun.run("export \(variable)=\(address); " + command.shell, in: scratch.path, timeout: 120)
            #expect(outcome.status == 0 && !outcome.timedOut, "\(command) exited \(outcome.status):\n\(outcome.output.suffix(2000))")
            if command.text.contains(" fuzz ") {
                #expect(outcome.output.contains("20 runs") && outcome.output.contains("no failure"), "\(command):\n\(outcome.output.suffix(2000))")
            }
            outputs.append(outcome.output)
        }
        return outputs
    }

    @Test("memcached: the guide's scenario, then its load and fuzz commands, pass", .needs(.memcached))
    func memcached() async throws {
        // -u root: memcached refuses to run as root without a user; ignored when not root.
        let server = try SpawnedServer.start(try RequiredTool.memcached.requirePath(),
                                             ["-p", "{port}", "-l", "127.0.0.1", "-U", "0", "-t", "2", "-u", "root"])
        defer { server.stop() }
        // The scenario stores the values the load and fuzz requests read.
        let result = try await ServerGuideTests().run(try ServerGuideTests.scenario(for: "MEMCACHED_ADDR"), "MEMCACHED_ADDR", "\(server.address)")
        #expect(result.status == 0, "\(result.output)")
        _ = try await Self.runCommands(reading: "MEMCACHED_ADDR", address: "\(server.address)", Scratch())
    }

    @Test("redis-server: the guide's fuzz command finds nothing", .needs(.redisServer))
    func redis() async throws {
        let server = try ReplyTests.startRedis()
        defer { server.stop() }
        let scratch = Scratch()
        let commands = try DocCommand.extract(from: Self.guide).filter { $0.text.contains("$REDIS_ADDR") && $0.text.contains(" fuzz ") }
        #expect(commands.count == 1)
        try Self.writeRequestFiles(scratch)
        for command in commands {
            let outcome = try await ShellRun.run("export REDIS_ADDR=\(server.address); " + command.shell, in: scratch.path, timeout: 120)
            #expect(outcome.status == 0 && outcome.output.contains("20 runs") && outcome.output.contains("no failure"),
                    "\(command) exited \(outcome.status):\n\(outcome.output.suffix(2000))")
        }
    }

    @Test("nginx: the guide's fuzz command (Date masked) finds nothing", .needs(.nginx))
    func nginx() async throws {
        let server = try NginxServer(executable: try RequiredTool.nginx.requirePath(), files: ["index.html": "hello\n"])
        defer { server.stop() }
        _ = try await Self.runCommands(reading: "NGINX_ADDR", address: server.address, Scratch())
    }
}
