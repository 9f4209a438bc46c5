// A load result in one line, as the runner, the console and `sockfuzz load` print it.

import Foundation
import Load

public enum LoadSummary {
    public static func line(_ r: LoadResult) -> String {
        let pacing = r.depth.map { "depth \($0)" } ?? "rate \(Int(r.targetRate ?? 0))/s"
        var line: String
        if let replies = r.replies {
            line = "load: \(r.connections) connections, \(replies.requests == 1 ? "1 request" : "\(replies.requests) requests") "
                + "of \(r.messageSize) B, \(replies.framing) replies, \(pacing): "
                + "\(Int(r.messagesPerSecond)) req/s over \(String(format: "%.2f", r.seconds)) s; "
                + "\(r.messages) replies \(replies.expect == nil ? "framed" : "matched")"
        } else {
            line = "load: \(r.connections) connections, \(r.messageSize) B messages, \(pacing): "
                + "\(Int(r.messagesPerSecond)) msg/s, \(String(format: "%.2f", r.megabytesPerSecond)) MB/s over \(String(format: "%.2f", r.seconds)) s; "
                + "\(r.messages) messages, \(r.verified) verified"
        }
        if let l = r.latencyMicros {
            line += "; latency p50 \(Format.seconds(l.p50 / 1e6)) p90 \(Format.seconds(l.p90 / 1e6)) p99 \(Format.seconds(l.p99 / 1e6)) "
                + "p99.9 \(Format.seconds(l.p999 / 1e6)) max \(Format.seconds(l.max / 1e6))"
        }
        line += "; errors \(r.errors)"
        if let e = r.firstError { line += " (first: \(e))" }
        if let m = r.replies?.mismatched, m > 0 { line += "; mismatched \(m)" }
        if let k = r.replies?.reconnects, k > 0 { line += "; reconnects \(k) (the server closed between requests)" }
        if r.unanswered > 0 { line += "; unanswered \(r.unanswered)" }
        if r.notSent > 0 { line += "; not sent \(r.notSent) (client saturated)" }
        if r.interrupted { line += "; interrupted" }
        return line
    }
}
