// `sockfuzz fuzz`'s options for the server under test as a process (`--spawn`) and for content
// fuzzing: more seeds (`--seed-scenario`, `--corpus`), tokens (`--dict`), the hang oracle's
// deadline, a reference implementation for differential checks, and the campaign's page.

import ArgumentParser
import Foundation
import Framing
import Fuzzing
import ProcessMonitor
import RequestMutation
import ScenarioLanguage
import ScenarioRunner
import Syscalls

struct ContentFuzzOptions: ParsableArguments {
    @Option(help: "Start the server under test as this shell command, {port} standing for a free port; restarted after a crash or hang, and started fresh to confirm and replay a finding (e.g. './myserver --port {port}').")
    var spawn: String?

    @Option(help: "More seed requests: the sends of this scenario file, cut into requests with --framing.")
    var seedScenario: String?

    @Option(help: "A folder of inputs: read first, and grown with every input that showed new behaviour (made if missing).")
    var corpus: String?

    @Option(help: "A dictionary of tokens for the mutator (AFL's format: name=\"value\" lines, \\xHH escapes).")
    var dict: String?

    @Option(help: "A liveness probe without an answer within this long is a hang (default 1s).", transform: ValueArguments.positiveDuration)
    var hangTimeout: ScenarioDuration?

    /// --hang-timeout, or 1 s.
    var hangDeadline: ScenarioDuration { hangTimeout ?? .seconds(1) }

    @Option(help: "Another implementation, HOST:PORT or a command 'CMD {port}' to start it (restarted with the server under test, so a server that keeps state is compared from the same state): each reply must equal its reply to the same requests (--mask applies).")
    var reference: String?

    @Option(help: "Write an HTML page of the campaign here (the reply classes found over time).")
    var html: String?

    var given: Bool { seedScenario != nil || corpus != nil || dict != nil || reference != nil }

    func validate() throws {
        if let spawn { do { _ = try SpawnCommand(spawn) } catch { throw ValidationError("--spawn: \(error.description)") } }
        if let reference {
            if Self.isCommand(reference) {
                let command: SpawnCommand
                do { command = try SpawnCommand(reference) } catch { throw ValidationError("--reference: \(error.description)") }
                if !command.choosesPort { throw ValidationError("--reference '\(reference)': a command must say where to listen with {port}") }
                if spawn == nil { throw ValidationError("--reference 'CMD {port}' starts fresh with the server under test: it goes with --spawn (or give the reference as HOST:PORT)") }
            } else {
                do { _ = try SocketAddress.parse(reference) } catch { throw ValidationError("--reference \(reference): \(error.description)") }
            }
        }
        if let seedScenario, !FileManager.default.isReadableFile(atPath: seedScenario) {
            throw ValidationError("--seed-scenario \(seedScenario): cannot read it")
        }
        if let dict, !FileManager.default.isReadableFile(atPath: dict) {
            throw ValidationError("--dict \(dict): cannot read it")
        }
        if let corpus, let problem = FindingFile.prepare(corpus) { throw ValidationError("--corpus \(corpus): \(problem)") }
        if let html, let problem = Reports.unwritable(html) { throw ValidationError("--html \(html): \(problem)") }
    }

    /// The requests of the scenario file's sends (text and hex, in order, per connection), each
    /// connection's stream cut into requests with `framing` (a trailing part is a request too).
    func scenarioSeeds(_ framing: Framing) throws -> [[UInt8]] {
        guard let seedScenario else { return [] }
        let program: Program
        do { program = try ScenarioParser.parseFile(seedScenario) } catch {
            throw ValidationError("--seed-scenario \(error.description)")
        }
        var streams: [String: [UInt8]] = [:]
        var order: [String] = []
        func collect(_ statements: [Statement]) {
            for statement in statements {
                switch statement.command {
                case .send(let selector, .text(let bytes)), .send(let selector, .hex(let bytes)):
                    let key = "\(selector)"
                    if streams[key] == nil { order.append(key) }
                    streams[key, default: []] += bytes
                case .repeat(_, let body), .include(_, let body):
                    collect(body)
                default:
                    break
                }
            }
        }
        collect(program.statements)
        var seeds: [[UInt8]] = []
        for key in order {
            let split = framing.splitRequests(streams[key]!)
            seeds += split.requests
            if !split.rest.isEmpty { seeds.append(split.rest) }
        }
        guard !seeds.isEmpty else {
            throw ValidationError("--seed-scenario \(seedScenario): no send of text or hex bytes to take requests from")
        }
        return seeds
    }

    /// Whether `--reference` is a command to start (it holds {port} or a blank), not HOST:PORT.
    static func isCommand(_ reference: String) -> Bool {
        reference.contains(SpawnCommand.portPlaceholder) || reference.contains(" ")
    }

    /// The tokens of `--dict` (none without it); a line it cannot read is a located error.
    func dictionary() throws -> [[UInt8]] {
        guard let dict else { return [] }
        let text: String
        do { text = try String(contentsOfFile: dict, encoding: .utf8) } catch {
            throw ValidationError("--dict \(dict): cannot read it as UTF-8 text")
        }
        do { return try TokenDictionary.parse(text, path: dict) } catch {
            throw ValidationError("--dict \(error.description)")
        }
    }

    /// What makes two content campaigns shares of one (for `merge`).
    var identity: [String] {
        var words: [String] = []
        if let spawn { words.append("--spawn \(spawn)") }
        if let seedScenario { words.append("--seed-scenario \(seedScenario)") }
        if let dict { words.append("--dict \(dict)") }
        if let reference { words.append("--reference \(reference)") }
        words.append("--hang-timeout \(hangDeadline)")
        return words
    }
}
