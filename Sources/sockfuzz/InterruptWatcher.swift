// Ctrl-C during a run: the first SIGINT sets the run's interrupt flag (the run stops and the
// reports are still written); a second one ends the process at once.

import Glibc
import Reactor
import ScenarioRunner

final class InterruptWatcher: Sendable {
    private let thread = LoopThread()

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
        let signals = set
        thread.start {
            var waitSet = signals
            var count = 0
            while true {
                var received: Int32 = 0
                sigwait(&waitSet, &received)
                if received == SIGUSR2 { return } // our own stop() below
                count += 1
                if count > 1 || received == SIGTERM && flag.isSet { _exit(130) }
                flag.set()
            }
        }
    }

    func stop() {
        kill(getpid(), SIGUSR2)
        thread.join()
    }
}
