// Program generation: reproducible from the seed, different across seeds and runs, and always
// valid for the model (no operation on a connection that is not there or already closed).

import Testing
import TestSupport
@testable import Fuzzing

@Suite("program generation")
struct GeneratorTests {
    @Test("one seed and run give the same program every time")
    func reproducible() {
        let settings = GeneratorSettings()
        for run in 0..<20 {
            #expect(ProgramGenerator.generate(seed: 7, run: run, settings: settings)
                    == ProgramGenerator.generate(seed: 7, run: run, settings: settings))
        }
    }

    @Test("different seeds and runs give different programs")
    func varied() {
        let settings = GeneratorSettings()
        let programs = Set((0..<50).map { ProgramGenerator.generate(seed: 1, run: $0, settings: settings).description })
        #expect(programs.count == 50)
        #expect(ProgramGenerator.generate(seed: 1, run: 0, settings: settings) != ProgramGenerator.generate(seed: 2, run: 0, settings: settings))
    }

    @Test("every generated operation applies to the model, within the connection bound")
    func valid() {
        let settings = GeneratorSettings(maxConnections: 5)
        for run in 0..<300 {
            var model = ProgramModel()
            for op in ProgramGenerator.generate(seed: 3, run: run, settings: settings) {
                #expect(model.applies(op, maxConnections: 5), "run \(run): \(op)")
                model.apply(op)
            }
            #expect(model.connections.count <= 5)
        }
    }

    @Test("weights can turn an operation off, and bad weights are refused")
    func weights() throws {
        let settings = GeneratorSettings(weights: try FuzzWeights(parsing: "reset=0,close=0"))
        for run in 0..<100 {
            for op in ProgramGenerator.generate(seed: 5, run: run, settings: settings) {
                if case .reset = op { Issue.record("reset drawn with weight 0") }
                if case .close = op { Issue.record("close drawn with weight 0") }
            }
        }
        #expect(throws: FuzzError.self) { try FuzzWeights(parsing: "sned=1") }
        #expect(throws: FuzzError.self) { try FuzzWeights(parsing: "send=-1") }
    }

    @Test("the compiled scenario always parses, and shrinking cannot drop its checks")
    func compiledProgramsParse() {
        var config = FuzzConfiguration()
        config.fault = .closeBeforeFlush
        for run in 0..<100 {
            let ops = ProgramGenerator.generate(seed: 11, run: run, settings: config.generator)
            let (items, _) = ProgramCompiler.compile(ops, Fuzzer.compileSettings(config))
            let text = Fuzzer.scenarioText(items, runSeed: 1, config)
            #expect(throws: Never.self) { try ScenarioParserProxy.parse(text) }
            // Remove any operation: the checks at the end are still compiled in.
            let fewer = Array(ops.dropFirst(ops.count / 2))
            let rendered = ProgramCompiler.render(ProgramCompiler.compile(fewer, Fuzzer.compileSettings(config)).items,
                                                  Fuzzer.compileSettings(config)).map(\.rendered)
            #expect(rendered.contains("expect server descriptors == 0"))
            #expect(rendered.contains("expect server active == 0"))
        }
    }

    @Test("every program generated for many seeds and extreme settings parses (five seeds in the long run)",
          arguments: LongRun.pick([UInt64(1), 1 << 63], long: [UInt64(1), 2, 3, 97, 1 << 63]))
    func everyGeneratedProgramParses(_ seed: UInt64) throws {
        var settings: [FuzzConfiguration] = []
        for timeout: UInt64 in [1, 10_000_000, 5_000_000_000, 3_600_000_000_000] {
            for maxSend in [1, 8 << 20] {
                for connections in [1, 8, 200] {
                    var config = FuzzConfiguration()
                    config.seed = seed
                    config.timeoutNanos = timeout
                    config.generator.maxSendSize = maxSend
                    config.generator.maxConnections = connections
                    settings.append(config)
                }
            }
        }
        var target = FuzzConfiguration()
        target.target = Target(try SocketAddress.parse("127.0.0.1:7"))
        target.oracle = .liveness(probe: Array("PING \"quoted\" \\ \r\n\u{0}\u{ff}".utf8), expect: "\\+PONG \"x\"")
        target.receiveBufferSize = nil
        settings.append(target)
        for config in settings {
            for run in 0..<40 {
                let ops = ProgramGenerator.generate(seed: seed, run: run, settings: config.generator)
                let (items, _) = ProgramCompiler.compile(ops, Fuzzer.compileSettings(config))
                let text = Fuzzer.scenarioText(items, runSeed: seed &+ UInt64(run), config, header: ["a header line"])
                #expect(throws: Never.self, "run \(run)") { try ScenarioParserProxy.parse(text) }
            }
        }
    }

    @Test("request/response programs parse and read back the same, whatever bytes the requests and replies hold")
    func requestProgramsParse() throws {
        // Quotes, backslashes, NUL, high bytes, a literal ${, line ends: in requests, references and masks.
        let awkward: [[UInt8]] = [Array("GET \"${x}\" \\ \r\n".utf8), [0, 0xff, 0x24, 0x7b, 0x0a], Array("*1\r\n$4\r\nPING\r\n".utf8)]
        var oracle = RequestOracle(RequestMix(awkward, weights: [1, 2, 1]), framing: .delimiter(Array("END\r\n".utf8)),
                                   masks: ["id=[0-9]+", "\\$\\{"])
        oracle.references = [Array("OK id=17 \"q\" \\ ${y}\r\nEND\r\n".utf8), [0x24, 0x7b, 0xfe, 0x0d, 0x0a], Array("+PONG\r\n".utf8)]
        for embedded in [true, false] {
            var config = FuzzConfiguration()
            config.oracle = .requests(oracle)
            config.generator.requestBytes = awkward.map(\.count).max()
            if !embedded { config.target = Target(try SocketAddress.parse("127.0.0.1:7")) }
            var replyChecks = 0
            for run in 0..<60 {
                let ops = ProgramGenerator.generate(seed: 5, run: run, settings: config.generator)
                let (items, _) = ProgramCompiler.compile(ops, Fuzzer.compileSettings(config))
                let text = Fuzzer.scenarioText(items, runSeed: 9, config)
                let program = try ScenarioParser.parse(source: text, file: "t.scn")
                let commands = program.statements.map(\.command)
                #expect(commands.map(\.rendered).joined(separator: "\n") + "\n" == text, "run \(run) does not read back the same")
                replyChecks += commands.filter { if case .expectReply = $0 { return true } else { return false } }.count
            }
            #expect(replyChecks > 100, "the programs check replies")
        }
    }
}

import Framing
import Load
import ScenarioLanguage
import Syscalls

enum ScenarioParserProxy {
    static func parse(_ text: String) throws { _ = try ScenarioParser.parse(source: text, file: "t.scn") }
}

extension Array where Element == FuzzOp {
    var description: String { map(\.description).joined(separator: "; ") }
}
