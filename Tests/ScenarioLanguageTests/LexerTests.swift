// Lexer unit tests: line splitting, words, strings, comments, columns and lexical errors,
// plus string escape decoding (which the parser applies to string tokens).

import Testing
@testable import ScenarioLanguage

@Suite("Lexer")
struct LexerTests {
    func tokens(_ line: String) throws -> [Token] {
        try Lexer.tokenize(line: line, number: 1, file: "t.scn")
    }

    @Test("splits lines on LF and drops the CR of CRLF")
    func lineSplitting() {
        #expect(Lexer.lines(of: "a\r\nb\nc") == ["a", "b", "c"])
        #expect(Lexer.lines(of: "a\n") == ["a", ""])
        #expect(Lexer.lines(of: "") == [""])
    }

    @Test("words are separated by blanks and carry 1-based columns")
    func wordsAndColumns() throws {
        let t = try tokens("  send\tweb[3]   \"hi\"")
        #expect(t.map(\.text) == ["send", "web[3]", "hi"])
        #expect(t.map(\.kind) == [.word, .word, .string])
        #expect(t.map(\.location.column) == [3, 8, 17])
        #expect(t[2].width == 4)
        #expect(t[2].end.column == 21)
    }

    @Test("a hash starts a comment outside strings only")
    func comments() throws {
        #expect(try tokens("# whole line").isEmpty)
        #expect(try tokens("sleep 1s # trailing").map(\.text) == ["sleep", "1s"])
        #expect(try tokens("print \"a # b\"").map(\.text) == ["print", "a # b"])
        #expect(try tokens("sleep 1s#x").map(\.text) == ["sleep", "1s"])
    }

    @Test("string tokens keep their raw text, escapes unprocessed")
    func rawStrings() throws {
        let t = try tokens(#"send web "a\"b\\" x"#)
        #expect(t[2].text == #"a\"b\\"#)
        #expect(t[3].text == "x")
    }

    @Test("columns count Unicode scalars, not bytes")
    func unicodeColumns() throws {
        let t = try tokens("print \"héllo\" x")
        #expect(t[2].location.column == 15)
    }

    @Test("blank and comment-only lines give no tokens")
    func blankLines() throws {
        #expect(try tokens("").isEmpty)
        #expect(try tokens(" \t \r").isEmpty)
    }

    @Test("unterminated string is an error at the opening quote")
    func unterminated() {
        #expect(throws: ScenarioError("unterminated string: missing closing '\"'", at: .init(file: "t.scn", line: 1, column: 7))) {
            try tokens(#"print "abc"#)
        }
        // A backslash before the last quote escapes it.
        #expect(throws: ScenarioError.self) { try tokens(#"print "abc\""#) }
    }

    @Test("a quote glued to a word or a word glued to a string is an error")
    func gluedQuotes() {
        #expect(throws: ScenarioError("unexpected '\"' after 'web': put a space before the string",
                                      at: .init(file: "t.scn", line: 1, column: 9))) {
            try tokens(#"send web"hi""#)
        }
        #expect(throws: ScenarioError("expected a space after the closing '\"', got 'x'",
                                      at: .init(file: "t.scn", line: 1, column: 11))) {
            try tokens(#"print "hi"x"#)
        }
    }

    @Test("escapes decode to bytes", arguments: [
        (#"a\r\n\t\\\"\0"#, [0x61, 0x0D, 0x0A, 0x09, 0x5C, 0x22, 0x00]),
        (#"\x00\xff\x7F"#, [0x00, 0xFF, 0x7F]),
        ("é", [0xC3, 0xA9]),
        ("", []),
    ] as [(String, [UInt8])])
    func escapes(raw: String, bytes: [UInt8]) throws {
        let token = Token(kind: .string, text: raw, location: .init(file: "t", line: 1, column: 1), width: 0)
        #expect(try StringLiteral.bytes(of: token) == bytes)
    }

    @Test("quoting bytes and decoding the result gives the same bytes")
    func quoteRoundTrip() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<500 {
            let bytes = (0..<rng.int(0...12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let quoted = StringLiteral.quote(bytes)
            let t = try tokens("x " + quoted)
            #expect(t.count == 2)
            #expect(try StringLiteral.bytes(of: t[1]) == bytes)
        }
        #expect(StringLiteral.quote(Array("héllo\r\n\u{7f}".utf8)) == #""héllo\r\n\x7f""#)
    }
}
