// A target as typed: the address it resolves to, and the host as written, which TLS sends and
// every report shows.

import Syscalls
import Testing
import TestSupport

// Resolving a name reads /etc/hosts: a descriptor opened, so it holds the gate like a socket test.
@Suite("target as typed", .sharesDescriptorTable)
struct TargetTests {
    @Test("a name keeps its spelling beside the address it resolves to; an IPv6 literal loses its brackets")
    func hostAsWritten() throws {
        let named = try Target.parse("localhost:6379")
        #expect(named.host == "localhost" && named.tlsName == "localhost" && named.description == "localhost:6379")
        #expect(named.address.port == 6379 && named.address.host != "localhost")
        let v6 = try Target.parse("[::1]:8080")
        #expect(v6.host == "::1" && v6.description == "[::1]:8080")
    }

    @Test("no port, or a port out of range, is refused")
    func refused() {
        #expect(throws: SocketAddress.ParseError.self) { try Target.parse("localhost") }
        #expect(throws: SocketAddress.ParseError.self) { try Target.parse("127.0.0.1:70000") }
    }
}
