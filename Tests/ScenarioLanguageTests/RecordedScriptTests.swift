// A proxy recording rendered as a scenario: it parses, sends are whole requests (with a framing)
// or the chunks as they came (without), replies are checked exactly, masked parts become the
// mask's expression and match any value, pauses become sleeps only when asked.

import Foundation
import Framing
import Testing
import TestSupport
import Vocabulary
@testable import ScenarioLanguage

@Suite("recorded sessions as scenarios", .sharesDescriptorTable)
struct RecordedScriptTests {
    private func recording(_ events: [(UInt64, ProxyRecording.Event)]) -> ProxyRecording {
        var r = ProxyRecording()
        for (at, event) in events { r.record(event, at: at) }
        return r
    }

    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("with a framing: one send per whole request (split or joined as they came), one reply check per frame, and it parses")
    func framed() throws {
        let r = recording([(0, .opened(connection: 7)),
                           (1, .clientSent(connection: 7, bytes: bytes("GET a\nGE"))),
                           (2, .clientSent(connection: 7, bytes: bytes("T b\n"))),
                           (3, .serverSent(connection: 7, bytes: bytes("1\n2\n"))),
                           (4, .clientEnded(connection: 7)),
                           (5, .serverEnded(connection: 7))])
        let text = try RecordedScript.render(r, upstream: "127.0.0.1:9", header: ["h"], options: .init(framing: .line()))
        #expect(text == """
            # h
            target 127.0.0.1:9
            connect c1 1 framing=line
            send c1 "GET a\\n"
            send c1 "GET b\\n"
            expect c1 reply "1\\n" within 5s
            expect c1 reply "2\\n" within 5s
            halfclose c1
            expect c1 eof within 5s

            """)
        _ = try ScenarioParser.parse(source: text, file: "r.scn") { _ in "" }
    }

    @Test("without a framing the chunks go as they came and replies are checked as bytes; a pause is a sleep only with timing kept")
    func raw() throws {
        let r = recording([(0, .opened(connection: 1)),
                           (1_000_000_000, .clientSent(connection: 1, bytes: bytes("ping"))),
                           (1_002_000_000, .serverSent(connection: 1, bytes: bytes("pong"))),
                           (1_003_000_000, .clientReset(connection: 1))])
        let plain = try RecordedScript.render(r, upstream: "[::1]:9", header: [], options: .init())
        #expect(plain.contains("target [::1]:9\n"))
        #expect(plain.contains("send c1 \"ping\"\nexpect c1 recv \"pong\" within 5s\nreset c1\n"))
        #expect(!plain.contains("sleep"))
        let timed = try RecordedScript.render(r, upstream: "[::1]:9", header: [], options: .init(keepTiming: true))
        #expect(timed.contains("sleep 1s\nsend c1"))
        #expect(timed.contains("sleep 2ms\nexpect c1 recv"))
    }

    @Test("a masked part of a reply becomes the mask's expression: the check matches another value there, and only there")
    func masked() throws {
        let check = RecordedScript.check(bytes("Date: Mon 1\r\nok.\r\n"), [try ByteRegex("Date: [^\\r]*")])
        guard case .match(let pattern, _) = check else { Issue.record("not a pattern: \(check)"); return }
        let regex = try ByteRegex(pattern)
        #expect(regex.firstMatch(in: bytes("Date: Tue 2\r\nok.\r\n")) != nil)
        #expect(regex.firstMatch(in: bytes("Date: Tue 2\r\nok!\r\n")) == nil)
        #expect(regex.firstMatch(in: bytes("x Date: Tue 2\r\nok.\r\n")) == nil)
    }

    @Test("a connection open before recording began is left out, not replayed from its middle")
    func midwayConnectionSkipped() throws {
        let r = recording([(0, .serverSent(connection: 3, bytes: bytes("late"))), (1, .opened(connection: 4)),
                           (2, .clientSent(connection: 4, bytes: bytes("x")))])
        let text = try RecordedScript.render(r, upstream: "127.0.0.1:9", header: [], options: .init())
        #expect(!text.contains("late"))
        #expect(text.contains("send c1 \"x\""))
    }
}
