// The planted-bug servers the content fuzzer is proven on (Tests/Fixtures/planted) do what
// they say: each bug fires on its trigger (a crash exits the process, a hang answers nobody,
// a wrong reply shows), and its correct twin answers the same bytes correctly and stays up.

import Foundation
import Testing
import TestSupport

@Suite("Planted-bug servers", .sharesDescriptorTable)
struct PlantedServerTests {
    @Test("every planted bug fires on its trigger; every twin answers it correctly")
    func bugsFire() throws {
        let check = PlantedTriggerReachTests.planted.appendingPathComponent("check.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", check.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // check.py bounds each exchange (at most a few seconds); this bounds the whole.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.split(separator: "\n").count == 10, "\(text)")  // ten bugs, one line each
    }
}
