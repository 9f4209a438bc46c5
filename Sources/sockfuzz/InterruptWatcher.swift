// Ctrl-C or SIGTERM during a command: the first sets the run's interrupt flag (the run stops and
// prints and writes what it has); a second one ends the process at once. Create it before any
// other thread starts: only threads started after it inherit the blocked signals.

import Glibc
import ScenarioRunner

final class InterruptWatcher: @unchecked Sendable {
    // Written once in init, before anything reads it.
    private var thread = pthread_t()

    private final class Context {
        let flag: InterruptFlag
        let signals: sigset_t
        init(_ flag: InterruptFlag, _ signals: sigset_t) { self.flag = flag; self.signals = signals }
    }

    init(_ flag: InterruptFlag) {
        // Blocked in this thread (and so in every thread started after); sigwait below takes them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // An inherited "ignore" (a shell's background job) would discard them before sigwait.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGUSR2, SIG_DFL)
        let context = Unmanaged.passRetained(Context(flag, set)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
            var waitSet = context.signals
            var count = 0
            while true {
                var received: Int32 = 0
                sigwait(&waitSet, &received)
                if received == SIGUSR2 { return nil } // our own stop() below
                count += 1
                if count > 1 { _exit(130) }
                context.flag.set()
            }
        }, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    /// Ends the watcher. SIGUSR2 goes to the watcher's thread alone: sent to the process, it
    /// would kill any thread that does not block it (that was the exit 140 after `load`).
    func stop() {
        pthread_kill(thread, SIGUSR2)
        pthread_join(thread, nil)
    }
}
