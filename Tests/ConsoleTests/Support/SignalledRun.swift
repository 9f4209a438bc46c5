// Runs the built `sockfuzz` and sends it a signal once its output shows a given text (Ctrl-C
// mid-run), then reads it to the end: what a run prints and writes when it is interrupted.

import Glibc

enum SignalledRun {
    /// `sockfuzz ARGS` with empty input; `signal` is sent once, when `marker` first appears.
    static func run(_ arguments: [String], scratch: Scratch, signal: Int32, when marker: String,
                    timeout: Double = 60) throws -> PipedRun {
        var signalled = false
        return try Piped.run(arguments, input: "", scratch: scratch, timeout: timeout) { output, pid in
            guard !signalled, output.contains(marker) else { return }
            signalled = true
            kill(pid, signal)
        }
    }
}
