// The request/response oracle proven on planted framing bugs: for each framing (line, length
// prefix, HTTP/1.1) a server that mis-cuts requests is found within the budget in
// docs/fuzzing.md (seeds 1..3, at most 40 runs each), shrunk to a short scenario whose
// `expect reply` replays the failure and that passes against the correct twin; the correct twins pass 40 runs each (200 with SOCKFUZZ_LONG=1).

import Foundation
import Framing
import Glibc
import Load
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport
@testable import Fuzzing

@Suite("request/response fuzzing against planted framing bugs", .serialized, .sharesDescriptorTable)
struct RequestOracleTests {
    static let seeds: [UInt64] = [1, 2, 3]
    static let runsPerSeed = 40

    /// A configuration against `server` speaking `proto`, references fetched.
    static func configuration(_ proto: FramedProtocol, _ server: MisbehavingServer, out: String?) throws -> FuzzConfiguration {
        var config = FuzzConfiguration()
        config.target = Target(SocketAddress.loopback(port: server.port))
        let requests = try proto.requestLines.map { try ArgumentValues.escapedBytes($0) }
        config.oracle = .requests(RequestOracle(RequestMix(requests), framing: try Framing(parsing: proto.framing)))
        config.generator.requestBytes = requests.map(\.count).max()
        config.generator.operations = 6...24
        config.outDirectory = out
        // Whether two pieces of a request reach the server in two reads is timing: candidates
        // keep the default three tries each (one try let shrinking keep a program that failed
        // once by luck and then not in the replays).
        config.timeoutNanos = 1_000_000_000
        config.shrinkAttempts = 60
        config.shrinkSeconds = 20
        if let problem = Fuzzer.fetchReferences(&config) { throw TestSetupError(problem) }
        return config
    }

    @Test("each planted framing bug is found within the budget, shrunk, and the file replays it",
          arguments: FramedProtocol.allCases)
    func findsPlantedBug(_ proto: FramedProtocol) throws {
        let server = try MisbehavingServer(.framed(proto, plantedBug: true))
        defer { server.stop() }
        let out = NSTemporaryDirectory() + "sockfuzz-rrfuzz-\(proto.rawValue)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var finding: FuzzFinding?
        var tried: [String] = []
        for seed in Self.seeds where finding == nil {
            var config = try Self.configuration(proto, server, out: out)
            config.seed = seed
            config.runs = Self.runsPerSeed
            let summary = Fuzzer.run(config)
            tried.append("seed \(seed): \(summary.runs) runs")
            finding = summary.finding
        }
        let found = try #require(finding, "\(proto) bug not found: \(tried.joined(separator: ", "))")
        // The numbers docs/fuzzing.md records.
        print("planted \(proto) bug: \(tried.last!), found in run \(found.run), shrunk to \(found.shrunkOperations) operations / \(found.shrunkCommands) commands, reproduced \(found.reproduced) of \(found.replays)")
        #expect(found.signature == "reply (wrong reply)", "\(found.signature)")
        #expect(found.shrunk && found.shrunkCommands <= 10, "\(found.scenario)")
        let path = try #require(found.scenarioPath)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("set framing \(proto.framing)\n"), "\(text)")
        #expect(text.contains(" reply "), "the check is the language's expect ... reply: \(text)")

        // What `sockfuzz run FILE` does: parse the file and run it; it fails the same way every
        // time (the file pauses 50 ms between a request's pieces, so the server reads them apart).
        let program = try ScenarioParser.parseFile(path)
        for replay in 1...5 {
            let failure = ScenarioRunner.run(program, name: path, configuration: RunConfiguration()).failures.first
            let replayed = failure.map { FailureSignature($0, command: Fuzzer.command(at: $0.line, in: program.statements)) }
            #expect(replayed?.description == found.signature, "replay \(replay) of \(path) gave \(String(describing: replayed)):\n\(text)")
        }

        // The finding is the server's, not the program's: the same file passes against the twin.
        let twin = try MisbehavingServer(.framed(proto, plantedBug: false))
        defer { twin.stop() }
        let twinText = text.replacingOccurrences(of: "target 127.0.0.1:\(server.port)\n", with: "target 127.0.0.1:\(twin.port)\n")
        #expect(twinText != text)
        let twinResult = ScenarioRunner.run(try ScenarioParser.parse(source: twinText, file: "twin.scn"), name: "twin.scn",
                                            configuration: RunConfiguration())
        #expect(twinResult.failures.isEmpty, "the finding fails on the correct twin too:\n\(twinText)\n\(twinResult.failures.first?.description ?? "")")
    }

    @Test("the correct twins pass fuzz runs (200 each in the long run): line, length prefix and HTTP/1.1",
          arguments: FramedProtocol.allCases)
    func twinsPass(_ proto: FramedProtocol) throws {
        let server = try MisbehavingServer(.framed(proto, plantedBug: false))
        defer { server.stop() }
        var config = try Self.configuration(proto, server, out: nil)
        config.timeoutNanos = 5_000_000_000
        config.runs = LongRun.pick(40, long: 200)
        let summary = Fuzzer.run(config)
        #expect(summary.runs == config.runs)
        #expect(summary.finding == nil, "\(summary.finding?.scenario ?? "")\n\(summary.finding?.failure.description ?? "")")
        #expect(summary.internalError == nil, "\(summary.internalError ?? "")")
    }

    @Test("a masked reply is checked with reply match: the masked part may differ, the rest may not")
    func maskedReplyPattern() throws {
        let reference = Array("HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 12:00:00 GMT\r\nContent-Length: 3\r\n\r\nab$".utf8)
        guard case .match(let pattern, nil) = MaskedReply.check(reference: reference, masks: ["Date: [^\\r]*"]) else {
            Issue.record("no pattern for a masked reply")
            return
        }
        let regex = try NSRegularExpression(pattern: pattern)
        func matches(_ text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)) != nil
        }
        #expect(matches("HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 13:14:15 GMT\r\nContent-Length: 3\r\n\r\nab$"))
        #expect(!matches("HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 13:14:15 GMT\r\nContent-Length: 3\r\n\r\nabc"))
        #expect(!matches("HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 3\r\n\r\nab$ and more"))
        #expect(MaskedReply.check(reference: Array("+PONG\r\n".utf8), masks: ["Date: .*"]) == .bytes(ByteTemplate(bytes: Array("+PONG\r\n".utf8))))
    }

    @Test("a request's pieces go as drawn in the search, at least the floor apart in a finding, a longer drawn pause kept")
    func piecesArePausedApartInFindings() throws {
        var oracle = RequestOracle(RequestMix([Array("GET /a HTTP/1.1\r\n\r\n".utf8)]), framing: try Framing(parsing: "http1"))
        oracle.references = [Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)]
        let ops: [FuzzOp] = [.connect(count: 1), .request(conn: 0, count: 1, cuts: [5, 10], gapMillis: 0),
                             .request(conn: 0, count: 1, cuts: [5], gapMillis: 7)]
        func sendsAndPauses(floor: Int) -> [String] {
            let settings = CompileSettings(oracle: .requests(oracle), embedded: false, pieceGapFloorMillis: floor)
            return ProgramCompiler.render(ProgramCompiler.compile(ops, settings).items, settings).compactMap { command in
                switch command {
                case .send: return "send"
                case .sleep(let pause): return pause.description
                default: return nil
                }
            }
        }
        let config = FuzzConfiguration()
        // The last send is the liveness probe's whole request.
        #expect(sendsAndPauses(floor: config.pieceGapFloorMillis) == ["send", "send", "send", "send", "7ms", "send", "send"])
        #expect(sendsAndPauses(floor: config.confirmingPieceGapFloorMillis) == ["send", "1ms", "send", "1ms", "send", "send", "7ms", "send", "send"])
        #expect(sendsAndPauses(floor: config.writtenPieceGapFloorMillis) == ["send", "50ms", "send", "50ms", "send", "send", "50ms", "send", "send"])
    }
}
