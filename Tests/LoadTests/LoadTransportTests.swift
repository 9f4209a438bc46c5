// A load run's transports are decided once: clear connections go straight to the socket (the
// fast path) unless a connection holds a TLS session, whoever handed them over.

import Glibc
@testable import Load
import Syscalls
import Testing
import TestSupport
import TLSClient
import Vocabulary

@Suite("LoadTransport: clear or TLS, decided once", .sharesDescriptorTable)
struct LoadTransportTests {
    @Test("clear connections take the socket path, whether given as none or as clear transports; a TLS session makes it TLS")
    func decidedFromTheTransports() throws {
        #expect(!LoadTransport(nil, count: 2).usesTLS)
        #expect(!LoadTransport([.clear, .clear], count: 2).usesTLS)

        let fd = try Sys.socket(family: AF_INET)
        defer { Sys.close(fd) }
        let context = try TLSClientContext(ClientTLS(verification: .off))
        let tls = Transport.tls(try context.session(fd: fd, host: "localhost"))
        defer { tls.free() }
        let transport = LoadTransport([tls, tls], count: 2)
        #expect(transport.usesTLS && transport.orderlyClose == "close_notify")
    }
}
