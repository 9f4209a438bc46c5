// SIGINT and SIGTERM for a command that runs in the foreground until one comes (serve, proxy).
// Create it before any thread starts: the signals are blocked here and inherited blocked, so
// only wait() sees them.

import Glibc

struct ForegroundSignals {
    private var signals = sigset_t()

    init() {
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // A shell starts background jobs with SIGINT ignored, and an ignored signal never
        // reaches sigwait: take the default back (blocked, so it cannot kill us either).
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Waits for SIGINT or SIGTERM; returns which came.
    func wait() -> Int32 {
        var set = signals
        var received: Int32 = 0
        sigwait(&set, &received)
        return received
    }
}
