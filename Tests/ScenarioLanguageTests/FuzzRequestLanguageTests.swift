// The language of the request/response fuzzer: `expect SEL no-reply [within D]` and the `fuzz`
// statement's `request=` / `request-file=` / `framing=` / `mask=`, each parsed, rendered back to
// the same command, and its mistakes located.

import Framing
import Testing
@testable import ScenarioLanguage

@Suite("Language: no-reply and fuzz with requests")
struct FuzzRequestLanguageTests {
    @Test("expect no-reply parses with and without within, and renders back")
    func noReply() {
        #expect(command("expect web no-reply") == .expectNoReply(.group("web"), within: nil))
        #expect(command("expect web[2] no-reply within 100ms") == .expectNoReply(.member("web", index: 2), within: .milliseconds(100)))
        for text in ["expect web no-reply", "expect web[2] no-reply within 100ms"] {
            #expect(command(text)?.rendered == text)
        }
        #expect(failure("connect no-reply 1") == "1:9: 'no-reply' is a keyword, not a group name")
    }

    @Test("fuzz takes request= or request-file= with framing= and mask=, and renders back")
    func fuzzRequests() {
        #expect(command(#"fuzz runs=5 request="GET k\n" framing=line mask="id=\d+""#)
                == .fuzz(FuzzSpec(runs: 5, requests: FuzzRequests(.bytes(Array("GET k\n".utf8)), framing: .line(), mask: #"id=\d+"#))))
        #expect(command("fuzz request-file=reqs/http.txt framing=http1")
                == .fuzz(FuzzSpec(requests: FuzzRequests(.file("reqs/http.txt"), framing: .http1()))))
        for text in [#"fuzz runs=5 seed=3 request="GET k\n" framing=line mask="id=\d+""#,
                     "fuzz request-file=reqs/http.txt framing=http1", "fuzz runs=2"] {
            #expect(command(text)?.rendered == text)
        }
    }

    @Test("fuzz request mistakes are located: no framing, both sources, framing or mask alone, raw, bad regex, HEAD")
    func fuzzRequestErrors() {
        #expect(failure(#"fuzz request="GET k\n""#) == "1:1: request/response fuzzing needs framing=F (line, resp, http1, delimiter:TEXT or length:4be)")
        #expect(failure(#"fuzz request="x\n" request-file=r.txt framing=line"#) == "1:20: give request=\"...\" or request-file=FILE, not both")
        #expect(failure("fuzz runs=3 framing=line") == "1:13: 'framing=' goes with request=\"...\" or request-file=FILE (request/response fuzzing)")
        #expect(failure(#"fuzz mask="x""#) == "1:6: 'mask=' goes with request=\"...\" or request-file=FILE (request/response fuzzing)")
        #expect(failure(#"fuzz request="x\n" framing=raw"#)?.contains("framing=raw cannot tell one reply from the next") == true)
        #expect(failure(#"fuzz request="x\n" framing=line mask="(""#)?.contains("invalid regular expression") == true)
        #expect(failure(#"fuzz request="HEAD / HTTP/1.1\r\n\r\n" framing=http1"#)?.contains("HEAD requests cannot be fuzzed yet") == true)
    }

    @Test("fuzz oracle=content takes spawn= and hang-timeout=, and renders back")
    func contentForm() throws {
        let text = #"fuzz runs=5 request-file=reqs.txt framing=resp oracle=content spawn="./server --port {port}" hang-timeout=300ms"#
        #expect(command(text) == .fuzz(FuzzSpec(runs: 5, requests: FuzzRequests(.file("reqs.txt"), framing: .resp()),
                                                content: FuzzContent(spawn: "./server --port {port}", hangTimeout: .milliseconds(300)))))
        #expect(command(text)?.rendered == text)
        #expect(command("fuzz request-file=r.txt framing=line oracle=replies") == .fuzz(FuzzSpec(requests: FuzzRequests(.file("r.txt"), framing: .line()))))
    }

    @Test("fuzz oracle= mistakes are located: an unknown oracle, no requests, spawn without content, no {port}")
    func contentMistakes() {
        #expect(failure("fuzz request-file=r.txt framing=line oracle=bytes") == "1:45: oracle= takes content or replies")
        #expect(failure("fuzz runs=3 oracle=content") == "1:13: oracle= goes with request=\"...\" or request-file=FILE")
        #expect(failure(#"fuzz request-file=r.txt framing=line spawn="x {port}""#) == "1:38: 'spawn=' goes with oracle=content")
        #expect(failure(#"fuzz request-file=r.txt framing=line oracle=content spawn="./x""#) == "1:59: spawn= needs {port} where the server should listen")
    }
}
