// What a run tells whoever shows it, as it happens: the library never prints; the executable
// (or the REPL) turns these into lines on the terminal.

import EmbeddedServer

public enum RunEvent: Sendable {
    /// A `print` statement.
    case message(String)
    /// A command's short result ("connected 200/200 in 38 ms").
    case info(String)
    /// An expectation that held.
    case passed(String)
    case failed(RunFailure)
    case serverStats(ServerStatsSnapshot)
    /// Something skipped and why (a `server` command against a third-party target).
    case skipped(String)
    /// Periodic progress during a long command (connections open, bytes, errors).
    case progress(String)
    /// A reply arrived (groups with a framing only): rendered as `set show` asks, nil when off.
    case reply(String?)
}
