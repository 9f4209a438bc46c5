// How a spawned server ended: its exit status, or the signal that killed it, as wait(2) said.

import Glibc

public enum ProcessEnd: Sendable, Hashable, Codable, CustomStringConvertible {
    case exited(status: Int32)
    case killed(signal: Int32)

    /// From a wait status (the WIFEXITED / WTERMSIG macros, which Swift does not import).
    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited(status: (status >> 8) & 0xff)
        } else {
            self = .killed(signal: status & 0x7f)
        }
    }

    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .killed(let signal): return "killed by signal \(signal) (\(Self.name(of: signal)))"
        }
    }

    /// `SIGSEGV`, or the number for signals without a usual name.
    public static func name(of signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
