// Escaped bytes read back as the same bytes, every one of the 256, through the toxics' `reply=`
// reader and the scenario language's string literals.

import Testing
@testable import ScenarioLanguage
@testable import Vocabulary

@Suite("byte escaping")
struct ByteEscapingTests {
    let every = (0...255).map { UInt8($0) }

    @Test("all 256 bytes escaped read back through a toxic's reply=")
    func toxicReplyReadsItBack() throws {
        #expect(try ToxicText.unescaped(Substring(ByteEscaping.escaped(every))) == every)
    }

    @Test("all 256 bytes escaped read back through the language's string literal")
    func stringLiteralReadsItBack() throws {
        let tokens = try Lexer.tokenize(line: "\"\(ByteEscaping.escaped(every))\"", number: 1, file: "e.scn")
        #expect(try StringLiteral.bytes(of: tokens[0]) == every)
    }

    @Test("the named escapes and \\xHH, nothing else escaped")
    func forms() {
        #expect(ByteEscaping.escaped(Array("a\r\n\t\0\\\"".utf8) + [0x7f, 0x01]) == #"a\r\n\t\0\\\"\x7f\x01"#)
    }
}
