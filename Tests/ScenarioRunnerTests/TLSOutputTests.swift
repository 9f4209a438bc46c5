// A TLS connection of the client engine writes its records into a memory BIO and sends them
// from there (a backlog keeps what the socket did not take). Once everything went out, an idle
// connection keeps no output buffer: a memory BIO never shrinks, so one that held a large send
// is replaced, and the backlog's storage is freed.

@testable import ClientEngine
import COpenSSL
import Testing
@testable import TLSClient

@Suite("a TLS connection's way out, once drained")
struct TLSOutputTests {
    @Test("keeps at most 4 KiB: the backlog's storage goes, a memory BIO grown past 4 KiB is replaced by a fresh one, a small one stays")
    func drainedOutputHoldsNoBuffer() throws {
        let context = try TLSClientContext(ClientTLS(verification: .off))
        let session = TLSClientSession(context: context, host: "localhost")
        let ssl = try #require(SSL_new(context.context))
        let output = try #require(BIO_new(BIO_s_mem()))
        SSL_set0_wbio(ssl, output)
        session.ssl = ssl
        session.output = output
        // 200 KB of records written and all sent, 10 KB of them through the backlog.
        let records = [UInt8](repeating: 0x17, count: 200_000)
        var sink = [UInt8](repeating: 0, count: 64 * 1024)
        #expect(BIO_write(output, records, Int32(records.count)) == Int32(records.count))
        while BIO_read(output, &sink, Int32(sink.count)) > 0 {}
        records.withUnsafeBytes { session.backlog.append($0.baseAddress!, 10_000) }
        session.backlog.consume(10_000)
        #expect(session.outputCapacity > 200_000, "drained, both still hold what they held")

        session.outputDrained()
        #expect(session.backlog.capacity == 0)
        #expect(session.outputCapacity <= TLSClientSession.idleOutputLimit)
        let fresh = try #require(session.output)
        #expect(fresh != output && SSL_get_wbio(ssl) == fresh, "the SSL writes into the new BIO")

        // Small sends keep their BIO: no allocation per flush.
        #expect(BIO_write(fresh, records, 1000) == 1000)
        while BIO_read(fresh, &sink, Int32(sink.count)) > 0 {}
        session.outputDrained()
        #expect(session.output == fresh)
    }
}

@Suite("releasing an idle TLS connection's buffers")
struct ReleaseBuffersVersionTests {
    @Test("only on an OpenSSL that keeps a partial record's buffer: 3.0.14, 3.1.6, 3.2.2, 3.3.1 and later")
    func fixedVersionsOnly() {
        // OPENSSL_VERSION_NUMBER: 0xMNN00PP0.
        let refused: [UInt] = [0x1010_107f, 0x3000_0000, 0x3000_00d0, 0x3010_0000, 0x3010_0050, 0x3020_0010, 0x3030_0000]
        let allowed: [UInt] = [0x3000_00e0, 0x3000_0130, 0x3010_0060, 0x3020_0020, 0x3030_0010, 0x3040_0000, 0x3050_0000]
        #expect(refused.filter { sockfuzz_ssl_free_buffers_is_safe_in($0) != 0 } == [])
        #expect(allowed.filter { sockfuzz_ssl_free_buffers_is_safe_in($0) == 0 } == [])
        #expect(TLSIO.canReleaseBuffers == (sockfuzz_ssl_free_buffers_is_safe_in(UInt(OpenSSL_version_num())) != 0))
    }
}
