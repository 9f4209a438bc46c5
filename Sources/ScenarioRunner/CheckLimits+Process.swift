// The checker's limits for this process: how many connections one `connect` can ever hold,
// from the hard RLIMIT_NOFILE (the soft limit can be raised to it, never past it).

import Glibc
import ScenarioLanguage

extension CheckLimits {
    /// Descriptors kept back for the loop, the listener, reports and the terminal.
    static let reservedDescriptors = 64

    /// `embeddedServer`: the scenario's server runs in this process, so each connection costs
    /// two descriptors (ours and the server's accepted one).
    public static func forThisProcess(embeddedServer: Bool) -> CheckLimits {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max < rlim_t(Int.max) else { return .none }
        let hard = Int(clamping: limit.rlim_max)
        let usable = max(0, hard - reservedDescriptors)
        var reason = "hard RLIMIT_NOFILE \(hard), less \(reservedDescriptors) in reserve"
        if embeddedServer { reason += "; with the embedded server in this process each connection costs two descriptors" }
        return CheckLimits(maxConnections: embeddedServer ? usable / 2 : usable, reason: reason)
    }
}
