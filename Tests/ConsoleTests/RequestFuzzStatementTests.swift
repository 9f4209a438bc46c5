// The `fuzz` statement with requests, as a user meets it through `sockfuzz run`: a scenario that
// fuzzes a line server with a planted framing bug (`request-file=`, relative to the scenario)
// fails (exit 1) naming the finding it wrote; the same statement against the correct twin
// (`request=`) passes (exit 0).

import Foundation
import Testing
import TestSupport

@Suite("the fuzz statement with request= through the executable", .childSlot, .serialized)
struct RequestFuzzStatementTests {
    /// `sockfuzz run` of `target SERVER` and `fuzzLine`, the file in `folder`, run from the
    /// scratch folder (the statement writes its finding to ./fuzz-failures).
    private func fuzz(_ server: MisbehavingServer, _ fuzzLine: String, folder: String, _ scratch: Scratch) async throws -> PipedRun {
        let file = folder + "/fuzz-\(server.port).scn"
        try "target \(server.address)\n\(fuzzLine)\n".write(toFile: file, atomically: true, encoding: .utf8)
        return try await Piped.run(["run", file], in: scratch.path)
    }

    @Test("a planted line bug fails the scenario naming the written finding; the correct twin passes")
    func plantedBugFailsTwinPasses() async throws {
        let scratch = Scratch()
        let folder = scratch.path + "/scenarios"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (FramedProtocol.line.requestLines.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/requests.txt", atomically: true, encoding: .utf8)

        let planted = try MisbehavingServer(.framed(.line, plantedBug: true))
        defer { planted.stop() }
        // request-file= is relative to the scenario's folder, not to where sockfuzz runs.
        let found = try await fuzz(planted, "fuzz runs=40 seed=1 request-file=requests.txt framing=line", folder: folder, scratch)
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("reply (wrong reply)"), "\(found.output)")
        let named = try #require(found.output.firstMatch(of: /scenario: (fuzz-failures\/\S+\.scn)/).map { String($0.1) }, "\(found.output)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/" + named), "\(found.output)")

        let twin = try MisbehavingServer(.framed(.line, plantedBug: false))
        defer { twin.stop() }
        let clean = try await fuzz(twin, "fuzz runs=40 seed=1 request=\"GET alpha\\r\\n\" framing=line", folder: folder, scratch)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("PASSED"), "\(clean.output)")
    }
}
