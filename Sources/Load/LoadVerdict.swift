// Whether a load run held, and if not, why, one reason per kind of failure: what `sockfuzz load`
// prints and exits on, and what a scenario's `load` statement fails with. An empty list passes.

public enum LoadVerdict {
    /// Why the connect phase fell short: every requested connection must connect and echo its byte.
    public static func problems(_ c: ConnectBurstResult) -> [String] {
        guard !c.interrupted else { return [] }
        var problems: [String] = []
        if let clientError = c.clientError { problems.append(clientError) }
        if c.echoTimeouts > 0 {
            problems.append("no echo within \(ConnectBurst.seconds(UInt64(c.echoTimeoutSeconds * 1e9))) on \(c.echoTimeouts) "
                            + "connection(s): not an echo server? (--connect-only counts a connection when its one byte comes back)")
        }
        if c.wrongEchoes > 0 {
            problems.append("\(c.wrongEchoes) connection(s) answered something else: \(c.firstWrongEcho ?? "?"): not an echo server")
        }
        if c.connectTimeouts > 0 { problems.append("\(c.connectTimeouts) connection(s) did not connect in time") }
        if let tls = c.tls {
            if tls.failed > 0 {
                problems.append("TLS handshake failed on \(tls.failed) connection(s): \(tls.firstFailure ?? "?")")
            }
            if tls.timeouts > 0 {
                problems.append("TLS handshake did not complete in time on \(tls.timeouts) connection(s): not a TLS server, or one that never answers?")
            }
        }
        let otherFailures = c.failed - c.echoTimeouts - c.wrongEchoes - c.connectTimeouts - (c.tls.map { $0.failed + $0.timeouts } ?? 0)
        if otherFailures > 0 && c.clientError == nil {
            problems.append("\(otherFailures) connection(s) failed" + (c.firstError.map { ": first error: \($0)" } ?? ""))
        }
        return problems
    }

    /// Why the load phase failed: every message must come back verified, and everything asked
    /// for must have been sent. `whole`: the run is not a share of one (a share may measure no
    /// message of a slow rate; merge judges the whole).
    public static func problems(_ r: LoadResult, whole: Bool = true) -> [String] {
        var problems: [String] = []
        if let clientError = r.clientError { problems.append(clientError) }
        if r.unanswered > 0 {
            problems.append("unanswered \(r.unanswered) (\(r.replies == nil ? "echo incomplete" : "no reply") at the end of the drain"
                            + (r.firstUnanswered.map { "; first: \($0)" } ?? "") + ")")
        }
        if r.corrupted > 0 { problems.append("corrupted \(r.corrupted)") }
        if let replies = r.replies {
            if replies.mismatched > 0 {
                problems.append("mismatched replies \(replies.mismatched)" + (replies.firstMismatch.map { "; first: \($0)" } ?? ""))
            }
            if replies.framingErrors > 0 { problems.append("framing errors \(replies.framingErrors) (connections ended)") }
        }
        if r.connectionErrors > 0 { problems.append("connection errors \(r.connectionErrors)") }
        if r.notSent > 0 { problems.append("not sent \(r.notSent) (client saturated: the rate was not delivered)") }
        if whole && problems.isEmpty && !r.interrupted && r.connections > 0 && r.messages == 0 {
            // Nothing measured is nothing verified: no pass.
            problems.append("no message was measured on \(r.connections) connection(s)"
                            + (r.targetRate != nil ? ": none was due at this rate in the duration" : ": the duration is shorter than a round trip"))
        }
        if !problems.isEmpty, let first = r.firstError, first != r.clientError { problems.append("first error: \(first)") }
        return problems
    }
}
