// What surrounds a finding: a program that does not parse is an error, not a pass; the learned
// shrink deadline stays between its floor and the configured deadline, and learns from checks
// timed whole (a reply arriving mid-check does not restart the clock); the --out folder is made
// when missing and an unwritable one is said with errno's words.

import Foundation
import Framing
import Load
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport
@testable import Fuzzing

@Suite("findings: parse errors, learned deadlines, the out folder", .serialized, .sharesDescriptorTable)
struct FindingTests {
    @Test("a program that does not parse throws (the fuzzer's bug), it never runs or passes")
    func unparsableProgramThrows() {
        let config = FuzzConfiguration()
        // A check on a group nothing connected: the parser refuses it.
        let items: [CompiledItem] = [.command(.expectEcho(.member("never", index: 3), within: nil))]
        #expect(throws: UnparsableProgram.self) {
            _ = try Fuzzer.execute(items: items, applied: 1, runSeed: 1, config, interrupt: InterruptFlag(), name: "x.scn")
        }
    }

    @Test("a shrink candidate that does not parse does not reproduce and is reported as an internal error")
    func unparsableCandidateIsAnInternalError() throws {
        let signature = FailureSignature(kind: FailureKind(check: .state(.open), how: .timedOut))
        let recorder = FindingRecorder(config: FuzzConfiguration(), run: 0, runSeed: 1, signature: signature,
                                       interrupt: InterruptFlag(), onEvent: { _ in })
        let reproduced = recorder.reproduces(needed: 1) { () throws(UnparsableProgram) in
            throw UnparsableProgram(error: ScenarioError("bad", at: SourceLocation(file: "x", line: 1, column: 1)), text: "x")
        }
        #expect(reproduced == nil)
        #expect(recorder.internalError?.contains("does not parse") == true)
    }

    @Test("the learned deadline is 4 x p99 of the checks that held, at least 250 ms, whole milliseconds, at most the configured one")
    func learnedDeadlineBounds() {
        var learned = LearnedDeadline()
        #expect(learned.deadline(ceiling: 5_000_000_000) == 5_000_000_000, "nothing learned: the configured deadline")
        learned.record([1_000_000, 2_000_000])
        #expect(learned.deadline(ceiling: 5_000_000_000) == LearnedDeadline.floorNanos)
        learned.record([300_000_000])
        #expect(learned.deadline(ceiling: 5_000_000_000) == 1_200_000_000)
        learned.record([300_000_001, 300_000_001])
        #expect(learned.deadline(ceiling: 5_000_000_000) == 1_201_000_000, "rounded up to a millisecond")
        #expect(learned.deadline(ceiling: 1_000_000_000) == 1_000_000_000)
        learned.record([.max])
        #expect(learned.deadline(ceiling: 5_000_000_000) == 5_000_000_000, "no overflow")
    }

    @Test("a reply check is timed from the statement before it, not from its reply's arrival")
    func replyCheckTimedFromTheStatementBefore() throws {
        // The frame `a!` completes 150 ms after the request: the echo `a` at once, `!` late.
        let server = try MisbehavingServer(.lateByte(delayMillis: 150))
        defer { server.stop() }
        var config = FuzzConfiguration()
        config.target = Target(SocketAddress.loopback(port: server.port))
        var oracle = RequestOracle(RequestMix([Array("a".utf8)]), framing: try Framing(parsing: "delimiter:!"))
        oracle.references = [Array("a!".utf8)]
        config.oracle = .requests(oracle)
        let c = Selector.member(ProgramCompiler.group, index: 0)
        let items = ProgramCompiler.connecting(1, after: 0, tls: nil)
            + [.command(.send(c, .text(Array("a".utf8)))), .command(.expectReply(c, oracle.replyCheck(0), within: nil))]
        let run = try Fuzzer.execute(items: items, applied: 2, runSeed: 1, config, interrupt: InterruptFlag(), name: "x.scn")
        #expect(run.result.status == .passed, "\(run.result.failures)")
        #expect(run.checkNanos.count == 2, "the open check and the reply check: \(run.checkNanos)")
        #expect(run.checkNanos.last ?? 0 >= 100_000_000, "the reply check took the server's 150 ms: \(run.checkNanos)")
    }

    @Test("a missing out folder is made with its parents; one that cannot be is said with the reason")
    func outFolder() throws {
        let base = NSTemporaryDirectory() + "sockfuzz-out-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FindingFile.prepare(base + "/a/b") == nil)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: base + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/a/b").isEmpty, "the probe file is removed")
        #expect(FindingFile.prepare("/proc/nope")?.description == "cannot create the directory /proc/nope: No such file or directory")
        try "x".write(toFile: base + "/file", atomically: true, encoding: .utf8)
        #expect(FindingFile.prepare(base + "/file")?.description == "exists and is not a directory")
        guard case .success(let path) = FindingFile.write("seed 1\n", directory: base + "/c", name: "f.scn") else {
            Issue.record("not written")
            return
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "seed 1\n")
    }

    /// A failure that only a too-short deadline causes: the correct server, checks given 1 ns
    /// (8 MiB cannot come back in one turn of the loop, so the echo check cannot hold in time).
    static func deadlineFailure(_ config: FuzzConfiguration) throws -> (ops: [FuzzOp], run: Fuzzer.Execution) {
        let ops: [FuzzOp] = [.connect(count: 1), .send(conn: 0, size: 8 << 20, chunks: 1, gapMillis: 0), .check(conn: 0)]
        var strict = config
        strict.timeoutNanos = 1
        return (ops, try Fuzzer.execute(ops, runSeed: 1, strict, interrupt: InterruptFlag(), name: "<fuzz seed 1 run 0>"))
    }

    @Test("when the shrunk program does not fail at the file's deadline, the original is written, saying so")
    func originalWrittenWhenShrunkDoesNotReproduce() throws {
        let out = NSTemporaryDirectory() + "sockfuzz-original-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var config = FuzzConfiguration()
        config.outDirectory = out
        config.timeoutNanos = 10_000_000_000
        config.shrinkAttempts = 10
        config.replays = 2
        let (ops, original) = try Self.deadlineFailure(config)
        let signature = try #require(original.signature)
        var events: [String] = []
        let recorder = FindingRecorder(config: config, run: 0, runSeed: 1, signature: signature, interrupt: InterruptFlag(),
                                       onEvent: { events.append("\($0)") })
        let finding = recorder.record(ops, original: original, confirmation: recorder.confirm(ops, deadline: 1))
        #expect(!finding.shrunk)
        #expect(finding.reproduced == 0 && finding.replays == 2)
        let path = try #require(finding.scenarioPath, "\(events)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("# sockfuzz fuzz: a failing program, NOT shrunk"), "\(text)")
        #expect(text.contains("# reproduced 0 of 2 replays: a fresh replay does not fail; the file shows what failed once (check deadline 10s)"), "\(text)")
        #expect(text.contains("send c[0] random 8MiB"), "the original program: \(text)")
        #expect(throws: Never.self) { _ = try ScenarioParser.parseFile(path) }
        #expect(finding.failure.file == "fuzz-epoll-seed1-run0.scn")
        #expect(finding.failure.line > 6, "moved below the header")
    }

    @Test("a failure no rerun confirmed is replayed and written as the original program, never called shrunk")
    func unconfirmedFailureIsNotCalledShrunk() throws {
        var config = FuzzConfiguration()
        config.outDirectory = nil
        config.replays = 1
        let (ops, original) = try Self.deadlineFailure(config)
        var events: [FuzzEvent] = []
        let recorder = FindingRecorder(config: config, run: 0, runSeed: 1, signature: try #require(original.signature),
                                       interrupt: InterruptFlag(), onEvent: { events.append($0) })
        let none = FindingRecorder.Confirmation(settings: [], learnedNanos: 1, mostFailed: 0, tries: 3)
        let finding = recorder.record(ops, original: original, confirmation: none)
        #expect(!finding.shrunk)
        let replayed = events.compactMap { if case .replayed(_, _, let shrunk) = $0 { return shrunk } else { return nil } }
        #expect(replayed == [false], "the replays were of the original program: \(events)")
    }

    @Test("a finding whose folder cannot be written says why and has no path")
    func unwritableFindingSaysWhy() throws {
        var config = FuzzConfiguration()
        config.outDirectory = "/proc/nope"
        config.shrinkAttempts = 2
        config.replays = 1
        let (ops, original) = try Self.deadlineFailure(config)
        let recorder = FindingRecorder(config: config, run: 0, runSeed: 1, signature: try #require(original.signature),
                                       interrupt: InterruptFlag(), onEvent: { _ in })
        let finding = recorder.record(ops, original: original, confirmation: recorder.confirm(ops, deadline: 1))
        #expect(finding.scenarioPath == nil)
        #expect(finding.notWritten == "cannot create the directory /proc/nope: No such file or directory")
    }
}
