// The request/response form of `load`: `request="..."` (escapes decoded), `framing=`, and
// `expect="regex"` (verbatim) parse, render back to the same line, and every misuse is an error
// at the offending option.

import Framing
import Testing
@testable import ScenarioLanguage

@Suite("load request=")
struct LoadRequestTests {
    @Test("request, framing and expect parse; the request's escapes are decoded, the regex is kept verbatim")
    func parses() {
        #expect(command(#"load web request="PING\r\n" framing=resp expect="^\+PONG" depth=16 duration=10s"#) ==
            .load(.group("web"), LoadSpec(size: 6, pacing: .depth(16), duration: .seconds(10),
                                          requests: LoadRequests(request: Array("PING\r\n".utf8), framing: .resp(), expect: #"^\+PONG"#))))
    }

    @Test("the request form renders back to what was written and parses to the same command",
          arguments: [#"load web request="PING\r\n" framing=resp expect="^\+PONG" depth=16 duration=10s"#,
                      #"load web request="GET / HTTP/1.1\r\nHost: x\r\n\r\n" framing=http1 rate=100/s duration=1s warmup=500ms"#,
                      #"load web request="a b\0" framing=length:4be expect="\"q\"" depth=1 duration=1s"#,
                      #"load web request="PING\r\n" depth=1 duration=1s"#])
    func roundTrip(_ line: String) throws {
        let parsed = try #require(command(line))
        #expect(parsed.rendered == line)
        #expect(command(parsed.rendered) == parsed)
    }

    @Test("misuse is an error at the option that causes it",
          arguments: [
            (#"load web request="x" size=1 depth=1 duration=1s"#, "2:22: give size= (echo load) or request= (request/response load), not both"),
            (#"load web request="x" framing=raw depth=1 duration=1s"#, "2:30: framing=raw cannot tell one reply from the next: pick line, resp, http1, delimiter: or length:"),
            (#"load web request="x" framing=nope depth=1 duration=1s"#, "2:30: unknown framing 'nope': expected one of raw, line, delimiter:TEXT, length:N(be|le)[+], resp, http1"),
            (#"load web request="x" framing=line expect="(" depth=1 duration=1s"#, "2:42: invalid regular expression \"(\""),
            (#"load web request=PING framing=line depth=1 duration=1s"#, #"2:18: request= takes a quoted string, like request="PING\r\n""#),
            (#"load web request="" framing=line depth=1 duration=1s"#, "2:18: request= is empty: an empty request gets no reply"),
            (#"load web framing=line size=1 depth=1 duration=1s"#, "2:10: 'framing=' goes with request=\"...\" (request/response load)"),
            (#"load web depth=1 duration=1s"#, "2:1: 'load' needs size=SIZE (echo load) or request=\"...\" framing=F (request/response load)"),
          ])
    func misuse(_ line: String, _ message: String) {
        #expect(failure("connect web 1\n" + line) == message)
    }

    @Test("a quoted value after key= is one word; elsewhere a quote inside a word is still an error")
    func lexing() throws {
        let tokens = try Lexer.tokenize(line: #"load web request="a b" depth=1"#, number: 1, file: "t")
        #expect(tokens.map(\.text) == ["load", "web", #"request="a b""#, "depth=1"])
        #expect(throws: ScenarioError.self) { try Lexer.tokenize(line: #"send web"x""#, number: 1, file: "t") }
        #expect(throws: ScenarioError.self) { try Lexer.tokenize(line: #"load web request="a"b"#, number: 1, file: "t") }
    }
}
