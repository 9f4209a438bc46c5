// Is the server under test still serving? A fresh connection sends the probe request and waits
// for one whole reply (in the framing, or any byte without one). What stops it names the kind:
// a process that ended, a refused or at once closed connection are a crash; no answer within the
// deadline is a hang; an answer the framing cannot parse, a protocol violation; one that does not
// match the pattern, a wrong reply. The same judgement for `expect target alive` and for the
// content fuzzer's executions, so a finding's file replays to the kind the campaign saw.

import Framing
import ProcessMonitor
import Syscalls

public struct LivenessProbe: Sendable, Equatable {
    /// Sent on the fresh connection; nil: connecting is all (a server that accepts is alive).
    public var request: [UInt8]?
    /// Cuts the answer into replies; nil: any byte is an answer.
    public var framing: Framing?
    /// A regular expression the answer must match (nil: any whole reply).
    public var pattern: String?

    public init(request: [UInt8]?, framing: Framing?, pattern: String? = nil) {
        self.request = request
        self.framing = framing
        self.pattern = pattern
    }

    /// Why the server is not serving, or nil when it answered.
    public struct Verdict: Sendable, Equatable, CustomStringConvertible {
        public var how: FailureKind.How
        public var seen: String
        public var description: String { seen }
    }

    /// Probes `address` once, waiting up to `withinNanos` for the answer. With the server's
    /// process, a connection refused or closed is first given a moment to show it as the
    /// process's end (its status and stderr), so a crash reads the same however it was noticed.
    public func check(_ address: SocketAddress, withinNanos: UInt64, process: ServerProcess? = nil) -> Verdict? {
        if let ended = Self.ended(process, waitingNanos: 0) { return ended }
        let deadline = Sys.monotonicNanos() &+ withinNanos
        let connection: BlockingConnection
        switch BlockingConnection.connect(address, until: deadline) {
        case .success(let c):
            connection = c
        case .failure(.timedOut):
            return Self.ended(process, waitingNanos: Self.dyingGrace(withinNanos))
                ?? Verdict(how: .noAnswer, seen: "no connection accepted at \(address) within \(Format.nanos(withinNanos))")
        case .failure(let problem):
            return Self.ended(process, waitingNanos: Self.exitGraceNanos)
                ?? Verdict(how: .refused, seen: "a fresh connection to \(address): \(problem)")
        }
        if let request, !connection.send(request, until: deadline) {
            if connection.ending == nil {
                return Verdict(how: .noAnswer, seen: "the probe was not taken within \(Format.nanos(withinNanos))")
            }
            return Self.ended(process, waitingNanos: Self.exitGraceNanos)
                ?? Verdict(how: .closedAtOnce, seen: "a fresh connection was \(connection.ending == .eof ? "closed" : "reset") before the probe was sent")
        }
        guard request != nil else { return nil }
        var decoder = framing.map { FrameDecoder($0) }
        if case .http1? = framing { decoder?.noteRequest(isHEAD: HTTP1Request.isHEAD(request!)) }
        var received: [UInt8] = []
        while true {
            var chunk: [UInt8] = []
            guard connection.receive(into: &chunk, until: deadline) else { break }
            received += chunk
            guard var d = decoder else { return judge(received) }
            do {
                let frames = try d.feed(chunk)
                decoder = d
                if let first = frames.first { return judge(first.bytes) }
            } catch {
                return Verdict(how: .malformedReply, seen: "the probe's answer is no \(framing!) reply: \(error) in \(FrameText.render(received))")
            }
        }
        if let ending = connection.ending {
            return Self.ended(process, waitingNanos: Self.exitGraceNanos)
                ?? Verdict(how: .closedAtOnce, seen: "a fresh connection was \(ending == .eof ? "closed" : "reset") without an answer to the probe"
                           + (received.isEmpty ? "" : " (\(FrameText.render(received)) of one)"))
        }
        // A crashing server may still hold its port while it dies (a Python traceback on a loaded
        // machine takes a while): before calling it a hang, give it as long again to show its end.
        return Self.ended(process, waitingNanos: Self.dyingGrace(withinNanos))
            ?? Verdict(how: .noAnswer, seen: "no answer to the probe on a fresh connection within \(Format.nanos(withinNanos))"
                       + (received.isEmpty ? "" : " (\(FrameText.render(received)) of one)"))
    }

    private func judge(_ answer: [UInt8]) -> Verdict? {
        guard let pattern else { return nil }
        guard let regex = try? ByteRegex(pattern) else {
            return Verdict(how: .other, seen: "'\(pattern)' is not a valid regular expression")
        }
        if regex.firstMatch(in: answer) != nil { return nil }
        return Verdict(how: .wrongReply, seen: "the probe's answer \(FrameText.render(answer)) does not match /\(pattern)/")
    }

    /// How long a refused or dropped connection waits for the process to show its end.
    static let exitGraceNanos: UInt64 = 2_000_000_000

    /// How long a probe that went unanswered waits for the process to show its end: the probe's
    /// own deadline again, at least half a second, at most `exitGraceNanos`.
    static func dyingGrace(_ withinNanos: UInt64) -> UInt64 {
        min(exitGraceNanos, max(500_000_000, withinNanos))
    }

    /// The crash verdict of a process that has ended (waiting up to `waitingNanos` for it), or nil.
    static func ended(_ process: ServerProcess?, waitingNanos: UInt64) -> Verdict? {
        guard let process, let end = process.waitForEnd(nanos: waitingNanos) else { return nil }
        let tail = process.stderrTail()
        let seen = "the server process \(end)" + (tail.isEmpty ? "" : "; its stderr ended: \(tail.joined(separator: " | "))")
        if case .killed = end { return Verdict(how: .processKilled, seen: seen) }
        return Verdict(how: .processExited, seen: seen)
    }
}
