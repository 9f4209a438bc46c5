// Every scenario under scenarios/ replayed against every server mode, and every negative
// scenario failing exactly where and how its header says: the runner's checks can fail.

import Foundation
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport

@Suite("scenario files", .serialized)
struct ScenarioReplayTests {
    // No `init` that raises the open-file limit: an instance is made for every case, and for a
    // case that takes the gate in its body that is before the gate, perhaps while a quiet test
    // has lowered the limit on purpose. The limit is raised inside the gate instead.

    @Test("there are at least a dozen example scenarios, each opening with what it shows", .sharesDescriptorTable)
    func examplesExist() throws {
        let files = RepoFiles.exampleScenarios
        #expect(files.count >= 12)
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.hasPrefix("# "), "\(RepoFiles.name(file)) does not start with a comment")
        }
    }

    @Test("every example scenario passes against every server mode",
          arguments: RepoFiles.exampleScenarios.map(RepoFiles.name), ServerDesigns.all)
    func examplePasses(_ name: String, _ mode: BackendKind) async throws {
        let path = RepoFiles.root.appendingPathComponent("scenarios").appendingPathComponent(name).path
        // Reading the file opens a descriptor too: under the gate.
        let (program, many) = try await DescriptorGate.with(.sockets) {
            (try ScenarioParser.parseFile(path), try Self.largestConnect(path) >= 100)
        }
        // The embedded server's ends are low descriptors of this process: a scenario with hundreds
        // of connections would push a select server running in another test past FD_SETSIZE (and
        // its own select server needs the low numbers), so it holds the gate alone.
        let result = await DescriptorGate.with(many ? .ownSockets : .sockets) {
            _ = Sys.raiseOpenFileLimit()
            return ScenarioRunner.run(program, name: name, configuration: RunConfiguration(mode: mode))
        }
        #expect(result.status == .passed, "\(name) [\(mode)]: \(result.failures.map(\.description).joined(separator: "\n")) \(result.note ?? "")")
    }

    /// The largest N of the file's `connect NAME N` lines.
    static func largestConnect(_ path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Int? in
            let words = line.split(separator: " ")
            return words.count >= 3 && words[0] == "connect" ? Int(words[2]) : nil
        }.max() ?? 0
    }

    /// `# expect-failure: LINE: TEXT` on the first line of a negative scenario.
    static func expectation(_ path: String) throws -> (line: Int, text: String) {
        let first = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[0]
        let parts = first.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3, parts[0] == "# expect-failure", let line = Int(parts[1]) else {
            throw TestSetupError("\(path): first line must be '# expect-failure: LINE: TEXT'")
        }
        return (line, parts[2])
    }

    @Test("every negative scenario fails at its stated line with its stated message", .sharesDescriptorTable,
          arguments: RepoFiles.negativeScenarios.map(RepoFiles.name))
    func negativeFails(_ name: String) throws {
        let path = RepoFiles.root.appendingPathComponent("Tests/ScenarioRunnerTests/Negative").appendingPathComponent(name).path
        let (line, text) = try Self.expectation(path)
        let program = try ScenarioParser.parseFile(path)
        let result = ScenarioRunner.run(program, name: path, configuration: RunConfiguration())
        #expect(result.status == .failed)
        let failure = try #require(result.failures.first, "\(name) passed")
        #expect(failure.line == line, "\(name): failed at line \(failure.line), not \(line): \(failure)")
        #expect(failure.description.contains(text), "\(name): '\(text)' not in:\n\(failure)")
        #expect(failure.description.contains("(seed "), "the seed is printed with every failure")
        #expect(failure.file == path)
    }

    @Test("a corrupted byte is reported at the line and the byte, in every mode", .sharesDescriptorTable, arguments: ServerDesigns.all)
    func corruptionInEveryMode(_ mode: BackendKind) throws {
        let source = """
        seed 3
        server start epoll
        connect c 2
        send c random 10KiB chunks=3..3
        expect c echo within 5s
        """
        let program = try ScenarioParser.parse(source: source, file: "corrupt.scn")
        let result = ScenarioRunner.run(program, name: "corrupt.scn",
                                        configuration: RunConfiguration(mode: mode, fault: .corruptEcho))
        let failure = try #require(result.failures.first)
        #expect(failure.location == "corrupt.scn:5:1")
        #expect(failure.seen.contains("first differing byte at offset 100"), "\(failure)")
        #expect(failure.seed == 3)
    }

    @Test("--seed replays the same random choices: the same bytes go out", .sharesDescriptorTable)
    func seedReplays() throws {
        let source = "seed 99\nconnect c 3\nsend c random 1..64KiB chunks=1..4\nexpect c echo within 5s\n"
        let program = try ScenarioParser.parse(source: source, file: "s.scn")
        let a = ScenarioRunner.run(program, name: "s.scn", configuration: RunConfiguration())
        let b = ScenarioRunner.run(program, name: "s.scn", configuration: RunConfiguration())
        let c = ScenarioRunner.run(program, name: "s.scn", configuration: RunConfiguration(seed: 100))
        #expect(a.totals?.bytesSent == b.totals?.bytesSent)
        #expect(a.seed == 99 && c.seed == 100)
        #expect(a.totals?.bytesSent != c.totals?.bytesSent)
    }

    @Test("an interrupt stops a run promptly and marks it interrupted", .sharesDescriptorTable)
    func interrupt() throws {
        let program = try ScenarioParser.parse(source: "connect c 1\nsleep 60s\nexpect c open\n", file: "long.scn")
        let flag = InterruptFlag()
        let started = Sys.monotonicNanos()
        let thread = LoopThread()
        thread.start {
            // Interrupt once the run is under way (the connect finished), without a fixed sleep.
            let deadline = Sys.monotonicNanos() + 30_000_000_000
            while Sys.monotonicNanos() < deadline && Sys.monotonicNanos() - started < 300_000_000 { sched_yield() }
            flag.set()
        }
        let result = ScenarioRunner.run(program, name: "long.scn", configuration: RunConfiguration(), interrupt: flag)
        thread.join()
        #expect(result.status == .interrupted)
        #expect(Double(Sys.monotonicNanos() - started) / 1e9 < 20)
        let xml = JUnitReport.render([result])
        #expect(xml.contains("<skipped message=\"interrupted\"/>"))
    }
}
