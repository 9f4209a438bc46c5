// `${name}` in every string a scenario writes, through the executable: a capture and an
// environment variable fill in `expect recv`, `expect match` (literally: a captured `.` matches
// only a dot) and `print`; a reference whose value differs from what arrived fails (exit 1); an
// unknown name is an error when the file is checked (exit 2).

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("${name} in recv, match and print", .childSlot, .serialized)
struct ReferenceSubstitutionTests {
    static let prologue = """
        server start epoll
        connect e 1 framing=line
        send e "token a.b-42\\n"
        expect e reply match "^token (\\S+)-(\\d+)" capture=word within 2s

        """

    private func run(_ body: String) async throws -> PipedRun {
        let scratch = Scratch()
        let file = scratch.path + "/refs.scn"
        try (Self.prologue + body).write(toFile: file, atomically: true, encoding: .utf8)
        setenv("SOCKFUZZ_TEST_WORD", "zebra", 1)
        defer { unsetenv("SOCKFUZZ_TEST_WORD") }
        return try await Piped.run(["run", file, "-v"], input: "", scratch: scratch)
    }

    @Test("captures and environment variables fill in recv, match and print")
    func filledIn() async throws {
        let result = try await run("""
            send e "got a.b and zebra\\n"
            expect e recv "got ${word} and ${SOCKFUZZ_TEST_WORD}\\n" within 2s
            send e "again a.b\\n"
            expect e match "^again ${word}\\n" within 2s
            print "captured ${word} with ${SOCKFUZZ_TEST_WORD}"

            """)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("captured a.b with zebra"), "\(result.output)")
    }

    @Test("an unknown name in recv, match or print is an error before anything runs, located at its $", arguments: [
        ("expect e recv \"x ${nope}\"\n", "refs.scn:5:18:"),
        ("expect e match \"x ${nope}\"\n", "refs.scn:5:19:"),
        ("print \"x ${nope}\"\n", "refs.scn:5:10:"),
    ])
    func unknownNameExits2(_ body: String, _ location: String) async throws {
        let result = try await run(body)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains(location + " unknown name '${nope}'"), "\(result.output)")
    }

    @Test("a filled-in recv that differs from what arrived fails", arguments: [
        ("send e \"got a.c\\n\"\nexpect e recv \"got ${word}\\n\" within 2s\n", "got a.b"),
        // The captured `.` is escaped: it matches a dot, not any byte.
        ("send e \"again axb\\n\"\nexpect e match \"^again ${word}\\n\" within 300ms\n", "again a\\.b"),
    ])
    func differenceFails(_ body: String, _ shown: String) async throws {
        let result = try await run(body)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains(shown), "the failure shows the filled-in value: \(result.output)")
    }
}
