// The fuzzer's "same failure" is the kind the failing check decided, never its text; a check on
// a liveness probe is a liveness failure unless the probe got an answer (then a reply failure).

@testable import Fuzzing
import ScenarioLanguage
import ScenarioRunner
import Testing

@Suite("failure signatures")
struct FailureSignatureTests {
    func failure(_ kind: FailureKind, seen: String) -> RunFailure {
        RunFailure(at: SourceLocation(file: "x", line: 1, column: 1), statement: "", expected: "", seen: seen, seed: 1, kind: kind)
    }

    @Test("the signature is the failure's kind, whatever its text says")
    func kindNotText() {
        let misleading = "c[0]: first differing byte at offset 3, reset by the peer after EOF, refused, closed, not:"
        let kind = FailureKind(check: .state(.open), how: .timedOut)
        let signature = FailureSignature(failure(kind, seen: misleading), command: .expectState(.member("c", index: 0), .open, within: nil))
        #expect(signature.kind == kind)
        #expect(signature.description == "state open (timed out)")
    }

    @Test("a probe that cannot connect is a liveness failure; a probe answered wrongly is a reply failure")
    func probes() {
        let probe = Selector.member(ProgramCompiler.probes, index: 0)
        let refused = FailureSignature(failure(FailureKind(check: .echo, how: .notAccepted), seen: ""), command: .expectEcho(probe, within: nil))
        #expect(refused.description == "liveness (not accepted)")
        let wrong = FailureSignature(failure(FailureKind(check: .reply, how: .wrongReply), seen: ""),
                                     command: .expectReply(probe, .bytes(ByteTemplate(bytes: [0x41])), within: nil))
        #expect(wrong.description == "reply (wrong reply)")
        let other = FailureSignature(failure(FailureKind(check: .echo, how: .notAccepted), seen: ""),
                                     command: .expectEcho(.member("c", index: 0), within: nil))
        #expect(other.description == "echo (not accepted)")
    }
}
