// The `fuzz` statement with requests, as a user meets it through `sockfuzz run`: a scenario that
// fuzzes a line server with a planted framing bug (`request-file=`, relative to the scenario)
// fails (exit 1) naming the finding it wrote; the same statement against the correct twin
// (`request=`) passes (exit 0).

import Foundation
import Testing
import TestSupport

@Suite("the fuzz statement with request= through the executable", .serialized)
struct RequestFuzzStatementTests {
    /// `sockfuzz run FILE` from `directory` (the statement writes its finding to ./fuzz-failures).
    private func run(_ file: String, in directory: String) throws -> PipedRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["run", file]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return PipedRun(status: process.terminationStatus, output: text)
    }

    @Test("a planted line bug fails the scenario naming the written finding; the correct twin passes")
    func plantedBugFailsTwinPasses() throws {
        let scratch = Scratch()
        let folder = scratch.path + "/scenarios"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (FramedProtocol.line.requestLines.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/requests.txt", atomically: true, encoding: .utf8)

        let planted = try MisbehavingServer(.framed(.line, plantedBug: true))
        defer { planted.stop() }
        let failing = folder + "/planted.scn"
        try "target \(planted.address)\nfuzz runs=40 seed=1 request-file=requests.txt framing=line\n"
            .write(toFile: failing, atomically: true, encoding: .utf8)
        let found = try run(failing, in: scratch.path)
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("reply (wrong reply)"), "\(found.output)")
        let named = try #require(found.output.firstMatch(of: /scenario: (fuzz-failures\/\S+\.scn)/).map { String($0.1) }, "\(found.output)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/" + named), "\(found.output)")

        let twin = try MisbehavingServer(.framed(.line, plantedBug: false))
        defer { twin.stop() }
        let passing = folder + "/twin.scn"
        try "target \(twin.address)\nfuzz runs=40 seed=1 request=\"GET alpha\\r\\n\" framing=line\n"
            .write(toFile: passing, atomically: true, encoding: .utf8)
        let clean = try run(passing, in: scratch.path)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("PASSED"), "\(clean.output)")
    }
}
