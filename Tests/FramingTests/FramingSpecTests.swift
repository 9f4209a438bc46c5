// The text forms of framings (`line`, `length:4be`, `delimiter:\r\n`) parse back to themselves,
// and a wrong one names what is accepted.

import Framing
import Testing

@Suite("Framing names")
struct FramingSpecTests {
    @Test("every canonical text parses back to an equal framing",
          arguments: ["raw", "line", "resp", "http1", "length:1be", "length:2le", "length:4be+", "length:8le+", "delimiter:\\r\\n", "delimiter:\\x00"])
    func roundTrip(_ text: String) throws {
        let framing = try Framing(parsing: text)
        #expect(try Framing(parsing: framing.description) == framing)
    }

    @Test("a delimiter with a blank, quote, # or backslash renders as one word that parses back (it rendered a quote as an escape the parser refused)")
    func delimiterText() throws {
        let framing = Framing.delimiter(Array(" \"#\\\u{7f}".utf8))
        #expect(framing.description == #"delimiter:\x20\x22\x23\\\x7f"#)
        #expect(try Framing(parsing: framing.description) == framing)
    }

    @Test("shorthands and errors")
    func shorthands() throws {
        #expect(try Framing(parsing: "length:4") == .length(LengthPrefix(width: 4)))
        #expect(try Framing(parsing: "delimiter:END") == .delimiter(Array("END".utf8)))
        #expect(throws: FramingSpecError.self) { try Framing(parsing: "length:3") }
        #expect(throws: FramingSpecError.self) { try Framing(parsing: "delimiter:") }
        do {
            _ = try Framing(parsing: "json")
            Issue.record("json is not a framing")
        } catch {
            #expect(error.description.contains("expected one of raw, line"))
        }
    }
}
