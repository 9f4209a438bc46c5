// The language of replies: framings on connects and `set framing`, `expect reply`, `reply match
// ... capture=`, `replies N`, `set show`, and `${name}` references in strings, each parsed,
// rendered back to the same command, and its mistakes located.

import Framing
import Testing
@testable import ScenarioLanguage

@Suite("Language: framings, replies and ${name}")
struct ReplyLanguageTests {
    @Test("connect takes framing= in any Framing text form; set framing sets a default; none clears it")
    func framings() {
        #expect(command("connect api 2 framing=http1") == .connect(group: "api", count: 2, rate: nil, timeout: nil, framing: .http1()))
        #expect(command("connect api 2 framing=length:4be") == .connect(group: "api", count: 2, rate: nil, timeout: nil,
                                                                         framing: .length(LengthPrefix(width: 4))))
        #expect(command(#"connect api 1 framing=delimiter:\r\n"#) == .connect(group: "api", count: 1, rate: nil, timeout: nil,
                                                                             framing: .delimiter([13, 10])))
        #expect(command("set framing resp") == .setFraming(.resp()))
        #expect(command("set framing none") == .setFraming(nil))
        #expect(command("set show hex") == .setShow(.hex))
    }

    @Test("expect reply, reply match with capture=, and replies N parse")
    func replies() {
        #expect(command(#"expect web reply "+PONG\r\n" within 2s"#)
                == .expectReply(.group("web"), .bytes(ByteTemplate(bytes: Array("+PONG\r\n".utf8))), within: .seconds(2)))
        #expect(command(#"expect web[0] reply match "Location: (\S+)" capture=loc"#)
                == .expectReply(.member("web", index: 0), .match(pattern: #"Location: (\S+)"#, capture: "loc"), within: nil))
        #expect(command("expect web replies 3 within 1s") == .expectReplies(.group("web"), 3, within: .seconds(1)))
    }

    @Test("every new form renders back to the same command")
    func roundTrip() throws {
        let source = """
            set framing length:2le+
            set show off
            connect web 3 timeout=1s framing=resp
            connect odd 1 framing=delimiter:\\x20\\x23\\x22
            expect web[0] reply match "Location: (\\S+)" capture=loc within 2s
            send web "GET ${loc} HTTP/1.1\\r\\n\\r\\n"
            expect web reply "moved to ${loc}\\x00"
            expect web replies 2
            send web "literal \\x24{loc}"

            """
        let program = try parse(source)
        #expect(try parse(program.rendered) == program)
        #expect(program.rendered.contains(#"send web "literal \x24{loc}""#))
    }

    @Test("a capture is known after its line; a literal ${ written as \\x24{ is not a reference")
    func references() throws {
        let program = try parse("""
            connect web 1
            expect web reply match "id=(\\d+)" capture=id
            send web "next ${id} and \\x24{id}"

            """)
        guard case .send(_, .template(let template)) = program.statements[2].command else {
            Issue.record("expected a template send")
            return
        }
        #expect(template.parts == [.literal(Array("next ".utf8)), .reference("id"), .literal(Array(" and ${id}".utf8))])
        #expect(try template.expanded { $0 == "id" ? Array("42".utf8) : nil } == Array("next 42 and ${id}".utf8))
    }

    @Test("mistakes are located: unknown framing, unknown name, capture before it exists, bad capture name")
    func errors() {
        #expect(failure("connect web 1 framing=tcp") == "1:23: unknown framing 'tcp': expected one of raw, line, delimiter:TEXT, length:N(be|le)[+], resp, http1")
        #expect(failure("connect web 1\nsend web \"x ${nope_frame_test}\"") == "2:13: unknown name '${nope_frame_test}': neither an earlier capture= nor an environment variable")
        #expect(failure("connect web 1\nsend web \"${later}\"\nexpect web reply match \"(x)\" capture=later")
                == "2:11: unknown name '${later}': neither an earlier capture= nor an environment variable")
        #expect(failure("connect web 1\nexpect web reply match \"(x)\" capture=9x") == "2:38: a capture name is letters, digits and '_', not starting with a digit; got '9x'")
        #expect(failure("connect web 1\nexpect web replies 0") == "2:20: replies must be at least 1, got 0")
        #expect(failure("set show loud") == "1:10: unknown display 'loud': expected text, hex or off")
        #expect(failure("connect reply 1") == "1:9: 'reply' is a keyword, not a group name")
    }
}
