// Which runs `sockfuzz run` makes of its files: once per --mode, except a file that pins its
// design or sends everything to a third-party server (once, saying why), and once each against
// --target.

import ScenarioLanguage
import ScenarioRunner
import Testing
import Vocabulary

@Suite("run plan")
struct RunPlanTests {
    private let modes: [BackendKind?] = [.busy, .select, .epoll]

    private func plan(_ source: String, againstTarget: Bool = false) throws -> [PlannedRun] {
        let program = try ScenarioParser.parse(source: source, file: "f.scn")
        return RunPlan.runs([("f.scn", program)], modes: modes, againstTarget: againstTarget)
    }

    @Test("a plain file runs once per mode, and once against a target")
    func perMode() throws {
        let runs = try plan("connect c 1\nsend c \"x\"\nexpect c echo\n")
        #expect(runs.map(\.mode) == modes && runs.allSatisfy { $0.note == nil })
        #expect(try plan("connect c 1\n", againstTarget: true).map(\.mode) == [nil])
    }

    @Test("server mode inside a repeat block pins the design: one run, and the note names its line")
    func pinnedInBlock() throws {
        let runs = try plan("repeat 2 {\n  server mode select\n}\nconnect c 1\n")
        #expect(runs.count == 1 && runs[0].mode == nil)
        #expect(runs[0].note?.contains("at line 2 pins the design") == true, "\(runs[0].note ?? "no note")")
    }

    @Test("a file whose every connect goes to a third-party server runs once; starting the embedded server undoes that")
    func thirdPartyOnly() throws {
        let away = try plan("target 127.0.0.1:9\nconnect c 1\n")
        #expect(away.count == 1 && away[0].note?.contains("third-party server: run once") == true)
        #expect(try plan("target 127.0.0.1:9\nserver start epoll\nconnect c 1\n").count == 3)
    }

    @Test("a single --mode or a --fault that cannot apply is said, with the line that makes it so")
    func unusedOptionsNoted() throws {
        let away = try ScenarioParser.parse(source: "target 127.0.0.1:9\nconnect c 1\n", file: "f.scn")
        let faulted = RunPlan.runs([("f.scn", away)], modes: [.busy], againstTarget: false, fault: "corrupt-echo")
        #expect(faulted.count == 1 && faulted[0].thirdPartyOnly)
        #expect(faulted[0].note?.contains("at line 1 sends all its traffic to a third-party server: --mode busy and --fault corrupt-echo do not apply") == true,
                "\(faulted[0].note ?? "no note")")
        // Nothing given that could not apply: nothing said.
        #expect(RunPlan.runs([("f.scn", away)], modes: [nil], againstTarget: false)[0].note == nil)

        let pinned = try ScenarioParser.parse(source: "server mode select\nconnect c 1\n", file: "f.scn")
        let run = RunPlan.runs([("f.scn", pinned)], modes: [.busy], againstTarget: false)
        #expect(run.count == 1 && run[0].note?.contains("at line 1 pins the design: --mode busy does not apply") == true, "\(run[0].note ?? "no note")")
        #expect(RunPlan.runs([("f.scn", pinned)], modes: [.select], againstTarget: false)[0].note == nil)
    }

    @Test("traffic before a file's first target line meets the embedded server: the file runs per --mode, and --fault applies")
    func trafficBeforeTheTarget() throws {
        let before = try ScenarioParser.parse(source: "connect a 1\nsend a \"hi\"\nexpect a echo within 2s\ntarget 127.0.0.1:9\n", file: "f.scn")
        let runs = RunPlan.runs([("f.scn", before)], modes: [.select], againstTarget: false, fault: "corrupt-echo")
        #expect(runs.count == 1 && runs[0].mode == .select && !runs[0].thirdPartyOnly && runs[0].note == nil, "\(runs)")
        let after = try ScenarioParser.parse(source: "seed 3\nset timeout 2s\ntarget 127.0.0.1:9\nconnect a 1\n", file: "f.scn")
        #expect(RunPlan.runs([("f.scn", after)], modes: [.select], againstTarget: false)[0].thirdPartyOnly)
    }
}
