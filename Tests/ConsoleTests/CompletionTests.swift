// Tab completion from the command table: what is offered at each position of each form, and
// how `save` records a session. (The pseudo-terminal tests check that readline uses it.)

import Foundation
import Framing
import ScenarioLanguage
import Testing
@testable import sockfuzz

private func words(_ before: String, _ word: String = "", groups: [String] = ["web", "db"]) -> [String] {
    switch Completer.complete(before: before, word: word, groups: groups) {
    case .words(let list): return list
    case .files: return ["<files>"]
    }
}

@Suite("Completion", .childSlot)
struct CompletionTests {
    @Test("command names at the start of a line, console commands included")
    func commandNames() {
        #expect(words("", "conn") == ["connect"])
        #expect(words("", "s").sorted() == ["save", "seed", "segment", "send", "server", "set", "sleep", "spawn", "status"])
        #expect(words("", "").contains("help"))
        #expect(words("", "ex").sorted() == ["exit", "expect"])
    }

    @Test("second words of two-word commands")
    func subcommands() {
        #expect(words("server ").sorted() == ["mode", "start", "stats", "stop"])
        #expect(words("set ", "c") == ["connect-timeout"])
    }

    @Test("modes, options and fault names of server start")
    func serverStart() {
        #expect(words("server start ") == ["busy", "select", "epoll", "uring"])
        #expect(words("server mode ", "s") == ["select"])
        let options = words("server start epoll ")
        #expect(options.contains("port=") && options.contains("edge") && options.contains("fault="))
        #expect(!words("server start epoll edge ").contains("edge"))
        #expect(words("server start epoll ", "fault=c").sorted() == ["fault=close-before-flush", "fault=corrupt-echo"])
    }

    @Test("groups that exist where a selector goes, then the payload or expectation words")
    func selectors() {
        #expect(words("send ") == ["web", "db", "*"])
        #expect(words("send ", "w") == ["web"])
        #expect(words("send web ").sorted() == ["file", "hex", "random"])
        #expect(words("send web random 1..8KiB ").sorted() == ["chunks=", "gap="])
        #expect(words("close ", "d") == ["db"])
        #expect(words("connect ", "", groups: []) == [])
        #expect(words("connect web 10 ").sorted() == ["framing=", "rate=", "timeout=", "tls"])
        #expect(Set(words("connect web 10 tls ")).isSuperset(of: ["sni=", "alpn=", "verify=", "ca=", "version=", "rate="]))
    }

    @Test("expect: a selector or `server`, then what to expect")
    func expectForms() {
        #expect(words("expect ").sorted() == ["*", "db", "server", "target", "web"])
        #expect(words("expect target ") == ["alive"])
        let after = words("expect web ")
        for word in ["echo", "recv", "match", "reply", "replies", "eof", "reset", "open", "refused", "closed", "connected", "p99"] {
            #expect(after.contains(word), "\(word) missing")
        }
        #expect(!after.contains("accepted"))
        #expect(words("expect server ").contains("accepted"))
        #expect(!words("expect server ").contains("echo"))
        #expect(words("expect server active ") == ["==", "!=", "<", "<=", ">", ">="])
        #expect(words("expect web p99 ") == ["<", "<="])
        #expect(words("expect web echo ") == ["within"])
        #expect(words("expect web echo within ") == [])
        #expect(words("set framing ").contains("resp"))
        #expect(words("connect web 1 framing=", "framing=h") == ["framing=http1"])
        #expect(words("set show ").sorted() == ["hex", "off", "text"])
    }

    @Test("file names after run, include, save and send SEL file")
    func files() {
        #expect(words("run ") == ["<files>"])
        #expect(words("save ", "/tmp/x") == ["<files>"])
        #expect(words("include ") == ["<files>"])
        #expect(words("send web file ") == ["<files>"])
        #expect(words("save /tmp/a.scn ") == ["without-failed"])
        #expect(words("run /tmp/a.scn ") == [])
    }

    @Test("help completes command words, then form names")
    func help() {
        #expect(words("help ", "con") == ["connect"])
        #expect(words("help send ").sorted() == ["file", "hex", "random"])
        #expect(words("help ", "qu") == ["quit"])
    }

    @Test("nothing inside a quoted string")
    func quoted() {
        #expect(words("send web \"hel") == [])
        #expect(words("send web ", "\"x") == [])
    }

    /// One framing of each kind, written as a user types it. The switch below is exhaustive, so
    /// a new kind of framing stops this file compiling until it is added here too.
    static let everyFraming = ["raw", "line", "delimiter:\\r\\n", "length:4be", "resp", "http1"]

    @Test("every framing completes, after set framing and after framing=, to a word that parses")
    func everyFramingCompletes() throws {
        var kinds: Set<String> = []
        for text in Self.everyFraming {
            let framing = try Framing(parsing: text)
            switch framing {
            case .raw: kinds.insert("raw")
            case .line: kinds.insert("line")
            case .delimiter: kinds.insert("delimiter")
            case .length: kinds.insert("length")
            case .resp: kinds.insert("resp")
            case .http1: kinds.insert("http1")
            }
            // The word completion offers for it, and its first two letters, in both places.
            let typed = try #require(Framing.typedNames.first { text.hasPrefix($0) && ($0.hasSuffix(":") || $0 == text) }, "\(text)")
            #expect(words("set framing ").contains(typed), "\(text)")
            #expect(words("set framing ", String(typed.prefix(2))).contains(typed), "\(text)")
            #expect(words("connect web 1 framing=", "framing=").contains("framing=" + typed), "\(text)")
            #expect(words("connect web 1 framing=", "framing=" + typed.prefix(2)).contains("framing=" + typed), "\(text)")
        }
        #expect(kinds.count == Self.everyFraming.count, "one example of each kind")
        #expect(Framing.typedNames.count == Self.everyFraming.count, "a name without an example, or the other way round")
        #expect(words("set framing ").sorted() == (Framing.typedNames + ["none"]).sorted())
    }
}

@Suite("Saving a session", .childSlot)
struct RecorderTests {
    @Test("relative include and file paths become absolute; repeat bodies too")
    func portablePaths() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let at = SourceLocation(file: "<repl>", line: 1, column: 1)
        let include = Statement(command: .include(path: "lib/setup.scn", body: []), location: at)
        #expect(SessionRecorder.portable(include).rendered == "include \(cwd)/lib/setup.scn")
        let inFile = Statement(command: .send(.group("web"), .file("payload.bin")),
                               location: SourceLocation(file: "/srv/scenarios/a.scn", line: 3, column: 1))
        #expect(SessionRecorder.portable(inFile).rendered == "send web file /srv/scenarios/payload.bin")
        let block = Statement(command: .repeat(count: 2, body: [inFile]), location: at)
        #expect(SessionRecorder.portable(block).rendered == "repeat 2 {\n    send web file /srv/scenarios/payload.bin\n}")
        let absolute = Statement(command: .include(path: "/etc/x.scn", body: []), location: at)
        #expect(SessionRecorder.portable(absolute).rendered == "include /etc/x.scn")
        let tls = ScenarioLanguage.ServerOptions(mode: .epoll, tls: ServerTLS(certificatePath: "certs/c.pem", keyPath: "/etc/k.pem"))
        let start = Statement(command: .serverStart(tls), location: SourceLocation(file: "/srv/scenarios/a.scn", line: 1, column: 1))
        #expect(SessionRecorder.portable(start).rendered == "server start epoll tls cert=/srv/scenarios/certs/c.pem key=/etc/k.pem")
        let verified = Statement(command: .connect(group: "web", count: 1, rate: nil, timeout: nil, tls: ClientTLS(verification: .authorities(file: "ca.pem"))),
                                 location: SourceLocation(file: "/srv/scenarios/a.scn", line: 2, column: 1))
        #expect(SessionRecorder.portable(verified).rendered == "connect web 1 tls ca=/srv/scenarios/ca.pem")
    }

    @Test("the saved text: a header comment, then the statements, failures commented")
    func rendering() {
        var recorder = SessionRecorder()
        let at = SourceLocation(file: "<repl>", line: 1, column: 1)
        recorder.record(Statement(command: .seed(7), location: at))
        recorder.record(Statement(command: .serverStart(ScenarioLanguage.ServerOptions(mode: .epoll)), location: at))
        recorder.record(Statement(command: .connect(group: "a", count: 2, rate: nil, timeout: nil), location: at))
        recorder.record(Statement(command: .expectEcho(.group("a"), within: nil), location: at), comment: "failed in the session")
        #expect(recorder.typedCount == 2)
        let text = recorder.render(path: "/tmp/s.scn", version: "9")
        #expect(text == """
            # Saved from the sockfuzz 9 console. Replay: sockfuzz run /tmp/s.scn
            seed 7
            server start epoll
            connect a 2
            # failed in the session
            expect a echo

            """)
    }
}
