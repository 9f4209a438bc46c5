// Ctrl-C, SIGTERM and SIGHUP in the console. One async-signal-safe handler (a global C
// function) sets the session's interrupt flag, counts, and writes a byte to a wake-up pipe:
// - while a command runs, the session's drive loops poll the flag and stop (`RunStop.interrupted`);
// - at the prompt, the line reader polls the pipe next to stdin and abandons the line.
// A handler rather than a sigwait thread: any thread may take the signal, and it works whatever
// mask readline waits with. SIGCONT (after Ctrl-Z and `fg`) only writes to the pipe, so the
// prompt can put the terminal back the way readline needs it.

import Glibc
import ScenarioRunner
import Synchronization

/// The one interrupt flag of the console's session; a global so the handler reaches it without
/// touching reference counts (initialized before the handler is installed).
let consoleInterrupt = InterruptFlag()
/// SIGINTs since the last `ConsoleSignals.reset()`.
private let interruptCount = Atomic<Int>(0)
/// SIGTERM or SIGHUP arrived: leave as soon as possible, closing everything.
private let terminateRequested = Atomic<Bool>(false)
/// A command is running (a third Ctrl-C then ends a stuck process).
private let commandRunning = Atomic<Bool>(false)
/// The write end of the wake-up pipe (-1 before `install`).
private let wakeWriteFD = Atomic<Int32>(-1)

/// What a byte in the wake-up pipe means.
private let wakeInterrupt: UInt8 = 1
private let wakeContinued: UInt8 = 2

/// The handler. Only async-signal-safe work: atomics and write(2).
private func consoleSignalHandler(_ signal: Int32) {
    let savedErrno = errno
    defer { errno = savedErrno }
    if signal == SIGCONT {
        var byte = wakeContinued
        _ = write(wakeWriteFD.load(ordering: .relaxed), &byte, 1)
        return
    }
    consoleInterrupt.set()
    if signal == SIGINT {
        let count = interruptCount.add(1, ordering: .relaxed).newValue
        if count >= 3 && commandRunning.load(ordering: .relaxed) {
            let message: StaticString = "\nsockfuzz: the command does not stop; exiting\n"
            _ = message.withUTF8Buffer { write(2, $0.baseAddress, $0.count) }
            _exit(130)
        }
    } else {
        terminateRequested.store(true, ordering: .relaxed)
    }
    var byte = wakeInterrupt
    _ = write(wakeWriteFD.load(ordering: .relaxed), &byte, 1)
}

enum ConsoleSignals {
    /// The read end of the wake-up pipe: readable after a signal.
    nonisolated(unsafe) private(set) static var wakeFD: Int32 = -1  // written once in install(), before the handler exists

    /// Creates the pipe and installs the handler for SIGINT, SIGTERM and SIGHUP.
    static func install() {
        _ = consoleInterrupt.isSet  // initialize the global before a signal can reach it
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeFD = fds[0]
        wakeWriteFD.store(fds[1], ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = consoleSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGCONT] { sigaction(signal, &action, nil) }
        // Unblock them in this thread (threads started later inherit the mask).
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var terminating: Bool { terminateRequested.load(ordering: .relaxed) }

    /// What arrived since the pipe was last drained: Ctrl-C (or SIGTERM/SIGHUP), and whether
    /// the process was continued after a stop.
    static func takeWake() -> (interrupted: Bool, continued: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64)
        var result = (interrupted: false, continued: false)
        while true {
            let n = read(wakeFD, &buffer, buffer.count)
            guard n > 0 else { break }
            for byte in buffer[..<n] {
                if byte == wakeContinued { result.continued = true } else { result.interrupted = true }
            }
        }
        return result
    }

    static func commandStarted() {
        reset()
        commandRunning.store(true, ordering: .relaxed)
    }

    static func commandEnded() {
        commandRunning.store(false, ordering: .relaxed)
    }

    /// Forgets every Ctrl-C so far: the flag, the count and the pipe (before the next prompt).
    static func reset() {
        _ = takeWake()
        interruptCount.store(0, ordering: .relaxed)
        if !terminating { consoleInterrupt.clear() }
    }
}
