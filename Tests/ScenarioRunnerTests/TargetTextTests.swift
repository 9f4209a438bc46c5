// A third-party target is named as written wherever a run names it: the run's `against` (its
// report line) says `target localhost:PORT` as fuzz does, not the address it resolved to; an
// IPv6 literal is bracketed; with no host written, the address.

import ScenarioLanguage
import Syscalls
import Testing
import TestSupport
import ScenarioRunner

@Suite("target text", .serialized, .sharesDescriptorTable)
struct TargetTextTests {
    @Test("the host as written with the port, an IPv6 literal bracketed, else the address")
    func text() throws {
        let address = try SocketAddress.parse("127.0.0.1:6379")
        #expect(Target(address, host: "localhost").description == "localhost:6379")
        #expect(Target(address, host: "::1").description == "[::1]:6379")
        #expect(Target(address).description == "127.0.0.1:6379")
        #expect(Target(address, host: "localhost").tlsName == "localhost" && Target(address).tlsName == "127.0.0.1")
    }

    @Test("a run against a named target says the name in its against, as fuzz reports it")
    func runAgainstNamesTheName() throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let configuration = RunConfiguration(target: Target(try SocketAddress.parse(server.address), host: "localhost"))
        let program = try ScenarioParser.parse(source: "connect c 1\nexpect c open\n", file: "named.scn")
        let result = ScenarioRunner.run(program, name: "named.scn", configuration: configuration)
        #expect(result.status == .passed, "\(result.failures)")
        #expect(result.against == "target localhost:\(server.port)", "\(result.against)")
    }
}
