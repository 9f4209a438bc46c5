// Generates random valid programs (as commands) for the render -> parse round-trip property.
// It tracks group sizes like the checker so every selector it emits is valid.

import Framing
@testable import ScenarioLanguage

struct ProgramGenerator {
    var rng: SplitMix64
    var groups: [String: Int] = [:]
    /// A `target` came last (no `server start`/`mode` since): the embedded server's counters
    /// cannot be read, as the checker says.
    var afterTarget = false
    /// The one file `include` may name; its body is what parsing `lib.scn` gives.
    static let library = ["lib.scn": "sleep 1ms\n"]
    static let nowhere = ScenarioLanguage.SourceLocation(file: "", line: 0, column: 0)

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func program(length: Int) -> [Statement] {
        (0..<length).map { _ in Statement(command: command(depth: 0), location: Self.nowhere) }
    }

    mutating func command(depth: Int) -> Command {
        // Half the time connect first if nothing is connected yet, so selectors have something to pick.
        if groups.isEmpty || rng.chance(15) { return connect() }
        switch rng.int(0...36) {
        case 0: return .seed(rng.next())
        case 1: return rng.chance(70) ? .setTimeout(duration(positive: true))
            : .setStallTimeout(rng.chance(50) ? duration(positive: true) : nil)
        case 2: return rng.chance(50) ? .setConnectTimeout(duration(positive: true))
            : .setReceiveBuffer(ByteSize(bytes: rng.int(1024...(1 << 20))))
        case 3: return .print(ByteTemplate(bytes: Array(text().utf8)))
        case 4: return .sleep(duration(positive: false))
        case 5: return .include(path: "lib.scn", body: [Statement(command: .sleep(.milliseconds(1)), location: Self.nowhere)])
        case 6 where depth < 3:
            let count = rng.int(0...4)
            let before = groups
            let body = (0..<rng.int(0...3)).map { _ in Statement(command: command(depth: depth + 1), location: Self.nowhere) }
            // Mirror the checker: what one pass added counts `count` times.
            for (group, size) in groups { groups[group] = (before[group] ?? 0) + (size - (before[group] ?? 0)) * count }
            return .repeat(count: count, body: body)
        case 7:
            afterTarget = false
            let edge = rng.chance(50)
            return .serverStart(ServerOptions(
                mode: edge ? .epoll : rng.pick(ServerMode.allCases),
                port: rng.chance(50) ? rng.int(0...65535) : nil,
                host: rng.chance(50) ? rng.pick(["127.0.0.1", "::1", "localhost", "0.0.0.0"]) : nil,
                edgeTriggered: edge,
                fault: rng.chance(50) ? rng.pick(ServerFault.allCases.filter { $0.requiredMode == nil || edge }) : nil,
                limit: rng.chance(50) ? rng.int(1...100_000) : nil,
                queue: rng.chance(50) ? ByteSize(bytes: rng.int(1...(64 << 20))) : nil))
        case 8: return afterTarget ? .serverStop : rng.pick([.serverStop, .serverStats])
        case 9:
            afterTarget = false
            return .serverMode(rng.pick(ServerMode.allCases))
        case 10:
            afterTarget = true
            return .target(host: rng.pick(["127.0.0.1", "::1", "fe80::1%lo", "example.test"]), port: rng.int(1...65535))
        case 11: return .send(selector(), .text(bytes()))
        case 12: return .send(selector(), .hex(bytes()))
        case 13: return .send(selector(), .file(rng.pick(["a.bin", "dir/b c.bin", "x#y", "\"q\"", "ü.bin", "tab\there"])))
        case 14:
            return .send(selector(), .random(
                sizes: range { ByteSize(bytes: $0.int(0...(1 << 21))) },
                chunks: rng.chance(50) ? range { $0.int(1...64) } : nil,
                gaps: rng.chance(50) ? range { ScenarioDuration(nanoseconds: Int64($0.int(0...1_000_000_000))) } : nil))
        case 15: return .halfclose(selector())
        case 16: return .reset(selector())
        case 17: return .close(selector())
        case 18: return .pause(selector())
        case 19: return .resume(selector())
        case 20: return .expectEcho(selector(), within: within())
        case 21: return .expectRecv(selector(), bytes: ByteTemplate(bytes: bytes()), within: within())
        case 22:
            let patterns = [#"^HTTP/1\.[01] \d+"#, #"say \"hi\""#, "a|b", #"\\"#, "é+", #"[\r\n]"#, "xy?"]
            return .expectMatch(selector(), pattern: rng.pick(patterns), within: within())
        case 23: return .expectState(selector(), rng.pick(ConnectionState.allCases), within: within())
        case 24 where !afterTarget: return .expectServer(rng.pick(ServerStat.allCases), rng.pick(Comparison.allCases), rng.int(0...Int.max), within: within())
        case 25: return .expectLatency(selector(), rng.pick(Percentile.allCases), rng.pick(LatencyBound.allCases), duration(positive: false))
        case 26: return .expectConnected(selector(), rng.pick(Comparison.allCases), rng.int(0...1000), within: within())
        case 27:
            // Only pacings the checker accepts (rates of 1/h up to 100M/s).
            var pacing: LoadPacing = rng.chance(50) ? .depth(rng.int(1...64)) : .rate(rate())
            while (try? pacing.validated()) == nil { pacing = .rate(rate()) }
            return .load(selector(), LoadSpec(size: ByteSize(bytes: rng.int(1...(1 << 20))), pacing: pacing,
                                              duration: duration(positive: true), warmup: rng.chance(50) ? duration(positive: false) : nil))
        case 28:
            return .fuzz(FuzzSpec(runs: rng.chance(50) ? rng.int(1...10_000) : nil,
                                  connections: rng.chance(50) ? rng.int(1...1000) : nil,
                                  duration: rng.chance(50) ? duration(positive: true) : nil,
                                  seed: rng.chance(50) ? rng.next() : nil,
                                  requests: rng.chance(50) ? fuzzRequests() : nil))
        case 29: return .expectSkip(selector(), ByteSize(bytes: rng.int(1...(4 << 20))), within: within())
        case 30: return .expectDrain(selector())
        case 31: return .setFraming(rng.chance(20) ? nil : framing())
        case 32: return .setShow(rng.pick(ReplyDisplay.allCases))
        case 33: return .expectReply(selector(), .bytes(template()), within: within())
        case 34:
            // PATH: a reference the checker knows from the environment of any test run.
            return .expectReply(selector(), .match(pattern: rng.pick(["^\\+OK", "id=(\\d+)", "x${PATH}"]),
                                                   capture: rng.chance(50) ? "cap" : nil), within: within())
        case 35: return rng.chance(50) ? .expectReplies(selector(), rng.int(1...1000), within: within())
                                       : rng.chance(50) ? .expectNoReply(selector(), within: within())
                                       : .send(selector(), .template(template()))
        case 36:
            let checks = [TLSCheck.handshake(ok: rng.chance(50)), .version(rng.pick(Comparison.allCases), rng.pick(ClientTLS.Version.allCases)),
                          .alpn(rng.pick(["h2", "http/1.1", "x y"]))]
            return .expectTLS(selector(), checks[rng.int(0...2)], within: within())
        default: return connect()
        }
    }

    mutating func connect() -> Command {
        let name = rng.chance(60) && !groups.isEmpty ? rng.pick(Array(groups.keys).sorted())
            : rng.pick(["web", "db", "_x", "slow-readers", "G2", "a_b-c", "timeouts"])
        let count = rng.int(1...2000)
        groups[name, default: 0] += count
        // Only paces the checker accepts: starting every connection within 24 h.
        var pace: Rate? = rng.chance(40) ? rate() : nil
        while let r = pace, Double(count) / r.perSecond > CheckLimits.maxConnectSpreadSeconds { pace = rate() }
        return .connect(group: name, count: count, rate: pace,
                        timeout: rng.chance(40) ? duration(positive: true) : nil, framing: rng.chance(30) ? framing() : nil,
                        tls: rng.chance(30) ? clientTLS() : nil)
    }

    mutating func clientTLS() -> ClientTLS {
        let verification = rng.pick([ClientTLS.Verification.off, .system, .authorities(file: rng.pick(["ca.pem", "certs/ca.pem", "/etc/ssl/x.pem"]))])
        return ClientTLS(serverName: rng.chance(50) ? rng.pick(["localhost", "example.test", "a-b.c"]) : nil,
                         alpn: rng.chance(50) ? Array([["h2"], ["h2", "http/1.1"], ["redis", "x"]][rng.int(0...2)]) : [],
                         verification: verification, version: rng.chance(50) ? rng.pick(ClientTLS.Version.allCases) : nil)
    }

    /// The fuzz statement's requests: any framing but raw; HEAD never starts a request here.
    mutating func fuzzRequests() -> FuzzRequests {
        var framing = framing()
        while framing == .raw { framing = self.framing() }
        let source: FuzzRequests.Source = rng.chance(50) ? .bytes(Array("GET ".utf8) + bytes() + [10]) : .file(rng.pick(["r.txt", "reqs/a.txt", "/abs/r.txt"]))
        return FuzzRequests(source, framing: framing, mask: rng.chance(50) ? rng.pick(["id=\\d+", "Date: .*"]) : nil)
    }

    mutating func framing() -> Framing {
        rng.pick([.raw, .line(), .resp(), .http1(), .delimiter(bytes().isEmpty ? [0] : Array(" \"#\r\n".utf8)),
                  .length(LengthPrefix(width: rng.pick([1, 2, 4, 8]), bigEndian: rng.chance(50), includesPrefix: rng.chance(50)))])
    }

    /// Literal bytes around a `${PATH}` reference (PATH is set wherever tests run).
    mutating func template() -> ByteTemplate {
        ByteTemplate([.literal(bytes() + [1]), .reference("PATH"), .literal(bytes() + [2])])
    }

    mutating func selector() -> Selector {
        let name = rng.pick(Array(groups.keys).sorted())
        let size = groups[name]!
        switch rng.int(0...3) {
        case 0 where size > 0: return .member(name, index: rng.int(0...(size - 1)))
        case 1 where size > 0:
            let lo = rng.int(0...(size - 1))
            return .range(name, indices: lo...rng.int(lo...(size - 1)))
        case 2: return .all
        default: return .group(name)
        }
    }

    mutating func duration(positive: Bool) -> ScenarioDuration {
        let units: [Int64] = [1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000, 3_600_000_000_000]
        let n = Int64(rng.int((positive ? 1 : 0)...5000)) * rng.pick(units)
        return ScenarioDuration(nanoseconds: rng.chance(10) ? n + 1 : n)
    }

    mutating func within() -> ScenarioDuration? { rng.chance(50) ? duration(positive: false) : nil }

    mutating func rate() -> Rate {
        rng.chance(70) ? Rate(count: rng.int(1...100_000), per: rng.pick([.seconds(1), .milliseconds(1), .seconds(60)]))
            : Rate(count: rng.int(1...100), per: duration(positive: true))
    }

    mutating func range<T: Comparable>(_ make: (inout SplitMix64) -> T) -> ClosedRange<T> {
        let a = make(&rng)
        let b = rng.chance(30) ? a : make(&rng)
        return min(a, b)...max(a, b)
    }

    mutating func bytes() -> [UInt8] {
        let pool = Array("GET / HTTP/1.0\r\n\"\\é#\t${}".utf8) + [0, 1, 0x7F, 0x80, 0xC3, 0xFF]
        return (0..<rng.int(0...24)).map { _ in rng.pick(pool) }
    }

    mutating func text() -> String {
        let pool = ["a", "b", " ", "\"", "\\", "#", "\t", "\r", "\n", "é", "日", "🙂", "\u{0}", "\u{7F}", "\u{2028}", "\u{301}", "x"]
        return (0..<rng.int(0...16)).map { _ in rng.pick(pool) }.joined()
    }
}

/// Statements with every location replaced, so parsed and generated programs compare by content.
func withoutLocations(_ statements: [Statement]) -> [Statement] {
    statements.map { s in
        var command = s.command
        switch command {
        case .repeat(let count, let body): command = .repeat(count: count, body: withoutLocations(body))
        case .include(let path, let body): command = .include(path: path, body: withoutLocations(body))
        default: break
        }
        return Statement(command: command, location: ProgramGenerator.nowhere)
    }
}
