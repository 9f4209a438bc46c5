// A proxy recording as a scenario that replays the clients' side against the upstream: one
// group per client connection, what each client sent as `send`s, what the server answered as
// checks (`expect ... reply` frame by frame with a framing, `expect ... recv` without), masked
// parts of replies as regular expressions, ends as half-closes, resets and EOF checks, and the
// pauses between events as `sleep`s when asked to keep timing.

import Foundation
import Framing
import Vocabulary

public enum RecordedScript {
    public struct Options: Sendable {
        public var framing: Framing?
        /// Parts of replies that differ run to run (a date, an id): regular expressions.
        public var masks: [String]
        /// Keep the pauses between events (as `sleep`), else replay as fast as the checks allow.
        public var keepTiming: Bool
        /// How long each check may wait.
        public var within: ScenarioDuration

        public init(framing: Framing? = nil, masks: [String] = [], keepTiming: Bool = false, within: ScenarioDuration = .seconds(5)) {
            self.framing = framing
            self.masks = masks
            self.keepTiming = keepTiming
            self.within = within
        }
    }

    /// The scenario's text: a header comment, then the statements.
    public static func render(_ recording: ProxyRecording, upstream: String, header: [String], options: Options) throws -> String {
        let masks = try options.masks.map { try ByteRegex($0) }
        var statements: [Command] = []
        let (host, port) = splitTarget(upstream)
        statements.append(.target(host: host, port: port))
        var groups: [UInt64: String] = [:]
        var requestBuffers: [UInt64: [UInt8]] = [:]
        var decoders: [UInt64: FrameDecoder] = [:]
        var lastAt: UInt64?
        for entry in recording.entries {
            if options.keepTiming, let last = lastAt, entry.at > last &+ 1_000_000 {
                statements.append(.sleep(ScenarioDuration(nanoseconds: Int64((entry.at - last) / 1_000_000 * 1_000_000))))
            }
            lastAt = entry.at
            func group(_ id: UInt64) -> Selector { .group(groups[id]!) }
            // A connection open before the recording began cannot be replayed from its middle.
            if case .opened = entry.event {} else if groups[entry.event.connection] == nil { continue }
            switch entry.event {
            case .opened(let id):
                let name = "c\(groups.count + 1)"
                groups[id] = name
                statements.append(.connect(group: name, count: 1, rate: nil, timeout: nil, framing: options.framing))
                if let framing = options.framing { decoders[id] = FrameDecoder(framing) }
            case .clientSent(let id, let bytes):
                guard let framing = options.framing else {
                    statements.append(.send(group(id), .text(bytes)))
                    continue
                }
                // Whole requests, one send each; what does not frame yet waits for more.
                var pending = requestBuffers[id, default: []] + bytes
                let split = framing.splitRequests(pending)
                for request in split.requests {
                    decoders[id]?.noteRequest(isHEAD: HTTP1Request.isHEAD(request))
                    statements.append(.send(group(id), .text(request)))
                }
                pending = split.rest
                requestBuffers[id] = pending
            case .serverSent(let id, let bytes):
                guard var decoder = decoders[id] else {
                    statements.append(.expectRecv(group(id), bytes: ByteTemplate(bytes: bytes), within: options.within))
                    continue
                }
                let frames = decoder.feedKeepingFrames(bytes).frames
                decoders[id] = decoder
                for frame in frames {
                    statements.append(.expectReply(group(id), check(frame.bytes, masks), within: options.within))
                }
            case .clientEnded(let id):
                flushRequests(id, &requestBuffers, &statements, group(id))
                statements.append(.halfclose(group(id)))
            case .serverEnded(let id):
                statements.append(.expectState(group(id), .eof, within: options.within))
            case .clientReset(let id):
                statements.append(.reset(group(id)))
            case .serverReset(let id):
                statements.append(.expectState(group(id), .reset, within: options.within))
            }
        }
        var text = header.map { "# " + $0 + "\n" }.joined()
        if recording.truncated {
            text += "# NOT the whole session: recording stopped at \(recording.limit) bytes\n"
        }
        let program = Program(statements: statements.map { Statement(command: $0, location: SourceLocation(file: "", line: 0, column: 0)) })
        return text + program.rendered
    }

    /// A request cut short when the client ended goes as the bytes it was.
    private static func flushRequests(_ id: UInt64, _ buffers: inout [UInt64: [UInt8]], _ statements: inout [Command], _ group: Selector) {
        if let rest = buffers[id], !rest.isEmpty {
            statements.append(.send(group, .text(rest)))
            buffers[id] = []
        }
    }

    /// The reply as bytes, or, where a mask finds something, as a pattern with the masked
    /// parts left to the mask's own expression.
    static func check(_ reply: [UInt8], _ masks: [ByteRegex]) -> ReplyCheck {
        var masked: [(range: Range<Int>, pattern: String)] = []
        for mask in masks {
            for range in mask.matches(in: reply) where !range.isEmpty && !masked.contains(where: { $0.range.overlaps(range) }) {
                masked.append((range, mask.pattern))
            }
        }
        guard !masked.isEmpty else { return .bytes(ByteTemplate(bytes: reply)) }
        masked.sort { $0.range.lowerBound < $1.range.lowerBound }
        var pattern = "\\A"
        var at = 0
        for (range, mask) in masked {
            pattern += literal(reply[at..<range.lowerBound]) + "(?:" + mask + ")"
            at = range.upperBound
        }
        pattern += literal(reply[at...]) + "\\z"
        return .match(pattern: pattern, capture: nil)
    }

    /// Bytes as a regular expression that matches exactly them: letters, digits and blanks as
    /// they are, other printable ASCII escaped, everything else as \xHH (the reply is matched as
    /// Latin-1, one character per byte).
    static func literal(_ bytes: some Collection<UInt8>) -> String {
        var out = ""
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x20:
                out.unicodeScalars.append(UnicodeScalar(b))
            case 0x21...0x7e:
                out += "\\" + String(UnicodeScalar(b))
            default:
                out += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return out
    }

    private static func splitTarget(_ text: String) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return (text, 0) }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

extension ProxyRecording.Event {
    var connection: UInt64 {
        switch self {
        case .opened(let id), .clientSent(let id, _), .serverSent(let id, _), .clientEnded(let id), .serverEnded(let id),
             .clientReset(let id), .serverReset(let id):
            return id
        }
    }
}
