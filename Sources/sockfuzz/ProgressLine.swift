// A status line rewritten in place on a terminal (a few times a second at most); nothing at
// all when standard output is not a terminal, so logs and pipes get no escape sequences.

import Glibc
import Syscalls

final class ProgressLine {
    private let enabled = isatty(1) != 0
    private var lastDraw: UInt64 = 0
    private var shown = false

    func update(_ text: String) {
        guard enabled else { return }
        let now = Sys.monotonicNanos()
        guard now - lastDraw >= 200_000_000 else { return }
        lastDraw = now
        Output.write(1, "\r\u{1B}[2K" + text)
        shown = true
    }

    /// Clears the line so the next output starts clean.
    func finish() {
        guard enabled, shown else { return }
        Output.write(1, "\r\u{1B}[2K")
        shown = false
    }
}
