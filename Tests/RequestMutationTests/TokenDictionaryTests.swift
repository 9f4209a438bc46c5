// AFL's dictionary format, and errors that point at the line and column.

import RequestMutation
import Testing

@Suite("Token dictionaries")
struct TokenDictionaryTests {
    @Test("names, levels, bare values, escapes and comments")
    func parses() throws {
        let text = """
        # HTTP words
        kw_get="GET"
        header@2="Transfer-Encoding: chunked"
        "\\x00\\xff"
          quote="a\\"b\\\\c"   # trailing comment

        """
        let tokens = try TokenDictionary.parse(text, path: "http.dict")
        #expect(tokens == [Array("GET".utf8), Array("Transfer-Encoding: chunked".utf8), [0x00, 0xff], Array("a\"b\\c".utf8)])
    }

    @Test("errors name the file, line and column", arguments: [
        ("kw=GET", "d:1:4: expected '\"' to start the value"),
        ("ok=\"a\"\nkw \"GET\"", "d:2:4: expected '=' after a token name (a line is name=\"value\" or \"value\")"),
        ("kw=\"GET", "d:1:8: the value has no closing '\"'"),
        ("kw=\"\\x4\"", "d:1:5: expected two hex digits after '\\x'"),
        ("kw=\"a\" b", "d:1:8: unexpected text after the value"),
    ])
    func errors(_ text: String, _ message: String) {
        #expect(throws: TokenDictionaryError.self) { try TokenDictionary.parse(text, path: "d") }
        do { _ = try TokenDictionary.parse(text, path: "d") } catch { #expect(error.description == message) }
    }
}
