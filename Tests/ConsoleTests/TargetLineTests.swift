// A file's `target` line as a user meets it (issue 20, item 15): `--target` replaces it, so a
// `${NAME}` in it that the environment lacks is no error then; and a target line whose server
// cannot be reached is the same usage error as the same address given as --target (exit 2,
// located at the line), said before anything runs.

import Foundation
import Testing
import TestSupport

@Suite("run: a file's target line", .childSlot)
struct TargetLineTests {
    @Test("--target replaces a target line whose ${NAME} the environment lacks: the file runs, the line ignored")
    func unsetVariableReplaced() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let file = scratch.path + "/addr.scn"
        try "target ${SOCKFUZZ_TEST_NEVER_SET_ADDR}\nconnect a 1\nsend a \"ping\"\nexpect a echo\n".write(toFile: file, atomically: true, encoding: .utf8)

        let replaced = try await Piped.run(["run", file, "--target", server.address], input: "", scratch: scratch)
        #expect(replaced.status == 0, "\(replaced.output)")
        #expect(replaced.output.contains("target ${SOCKFUZZ_TEST_NEVER_SET_ADDR} ignored: --target"), "\(replaced.output)")

        // Without --target the variable is needed, and its absence is a located error.
        let alone = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(alone.status == 2 && alone.output.contains("addr.scn:1:8: unknown environment variable"), "\(alone.output)")
    }

    @Test("an unreachable target line is exit 2 naming the line, as --target with the same address is")
    func unreachableTargetLine() async throws {
        let gone = try MisbehavingServer(.echo)
        let address = gone.address
        gone.stop()
        let scratch = Scratch()
        let file = scratch.path + "/down.scn"
        try "target \(address)\nconnect a 1\nsend a \"x\"\nexpect a echo\n".write(toFile: file, atomically: true, encoding: .utf8)

        let line = try await Piped.run(["run", file, "--junit", scratch.path + "/r.xml"], input: "", scratch: scratch)
        #expect(line.status == 2, "\(line.output)")
        #expect(line.output.contains("down.scn:1:1: target \(address): cannot connect: Connection refused"), "\(line.output)")
        #expect(!line.output.contains("connect a"), "nothing ran: \(line.output)")
        let junit = try String(contentsOfFile: scratch.path + "/r.xml", encoding: .utf8)
        #expect(junit.contains("cannot connect"), "the report says why: \(junit)")

        let option = try await Piped.run(["run", scratch.path + "/down.scn", "--target", address], input: "", scratch: scratch)
        #expect(option.status == 2 && option.output.contains("cannot connect"), "\(option.output)")
    }
}
