// The negotiated version in a load's JSON record: a value in the code, OpenSSL's name on disk
// ("TLSv1.3", as records written before it was a value), so old and new shares read alike.

import Foundation
import Load
import Testing
import Vocabulary

@Suite("TLSHandshakes in the JSON record")
struct TLSHandshakesTests {
    private static func record(version: String) -> String {
        #"{"completed":2,"failed":0,"timeouts":0,"seconds":0.5,"perSecond":4,"version":"\#(version)","alpn":"h2"}"#
    }

    @Test("a version is written as OpenSSL names it and reads back the same")
    func versionRoundTrip() throws {
        for (name, version) in [("TLSv1.2", ClientTLS.Version.tls12), ("TLSv1.3", .tls13)] {
            var handshakes = try JSONDecoder().decode(TLSHandshakes.self, from: Data(Self.record(version: "").utf8))
            handshakes.version = version
            let written = String(decoding: try JSONEncoder().encode(handshakes), as: UTF8.self)
            #expect(written.contains(#""version":"\#(name)""#), "\(written)")
            let read = try JSONDecoder().decode(TLSHandshakes.self, from: Data(written.utf8))
            #expect(read.version == version && read.alpn == "h2")
        }
    }

    @Test("a version no client here negotiates reads as none")
    func unknownVersion() throws {
        let read = try JSONDecoder().decode(TLSHandshakes.self, from: Data(Self.record(version: "SSLv3").utf8))
        #expect(read.version == nil)
    }
}
