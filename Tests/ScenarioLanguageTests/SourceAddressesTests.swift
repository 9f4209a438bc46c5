// Source address lists: ranges expand in order, connections cycle through them, bad ones are named.

import Testing
import Vocabulary

@Suite("Source addresses")
struct SourceAddressesTests {
    @Test("a range, a list and IPv6")
    func parses() throws {
        let range = try SourceAddresses(parsing: "127.0.0.2-127.0.0.9")
        #expect(range.addresses == (2...9).map { "127.0.0.\($0)" })
        #expect(range.address(for: 8) == "127.0.0.2")
        #expect(try SourceAddresses(parsing: "127.0.0.1,::1").addresses == ["127.0.0.1", "::1"])
        #expect(try SourceAddresses(parsing: "127.0.0.255-127.0.1.1").addresses == ["127.0.0.255", "127.0.1.0", "127.0.1.1"])
    }

    @Test("wrong ones are errors", arguments: ["", "127.0.0.9-127.0.0.2", "127.0.0.256", "localhost", "10.0.0.0-10.255.255.255", "127.0.0.1,", "1.2.3"])
    func rejects(_ text: String) {
        #expect(throws: ValueError.self) { try SourceAddresses(parsing: Substring(text)) }
    }
}
