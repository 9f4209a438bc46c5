// What a reply is, seen from outside, for guidance without instrumentation (AFLNet's state model
// seen through the replies): the framing's type or status and an error's prefix with its text
// normalised (numbers and quoted values blanked), and a length bucket. Two replies of one class
// are the server doing the same thing; a new class or a new transition between classes on one
// connection is new behaviour. Also the ends a connection can meet instead of a reply.

import Framing

public enum ReplyClass {
    /// The class of one whole reply in `framing`.
    public static func of(_ reply: [UInt8], framing: Framing) -> String {
        switch framing {
        case .resp: return resp(reply)
        case .http1: return http(reply)
        case .line, .delimiter: return line(reply)
        case .length, .raw: return "len \(bucket(reply.count)) " + shape(reply.prefix(1))
        }
    }

    /// A connection that ended, or a reply that never came or could not be framed.
    public static let eof = "<eof>"
    public static let reset = "<reset>"
    public static let noReply = "<no reply>"
    public static let malformed = "<malformed>"
    public static let start = "<start>"

    /// RESP: the type byte; for an error its prefix and normalised text; for arrays the count's
    /// bucket; for the rest the length's.
    static func resp(_ reply: [UInt8]) -> String {
        guard let type = reply.first else { return "resp empty" }
        let line = reply.prefix { $0 != 0x0d && $0 != 0x0a }.dropFirst()
        switch type {
        case UInt8(ascii: "-"), UInt8(ascii: "!"):
            return "resp error " + normalised(line)
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let count = Int(String(decoding: line, as: UTF8.self)) ?? -1
            return "resp \(Character(UnicodeScalar(type))) count \(count < 0 ? "null" : String(bucket(count)))"
        case UInt8(ascii: "+"):
            return "resp simple " + normalised(line)
        default:
            return "resp \(Character(UnicodeScalar(type))) len \(bucket(reply.count))"
        }
    }

    /// HTTP/1: the status code and the length bucket of the whole response.
    static func http(_ reply: [UInt8]) -> String {
        let statusLine = reply.prefix { $0 != 0x0d && $0 != 0x0a }
        let words = statusLine.split(separator: 0x20, maxSplits: 2)
        let code = words.count > 1 ? String(decoding: words[1], as: UTF8.self) : "?"
        return "http \(code) len \(bucket(reply.count))"
    }

    /// A line: its first word and normalised rest (so `ERR unknown command 'x'` is one class
    /// whatever the command), and its length bucket.
    static func line(_ reply: [UInt8]) -> String {
        "line " + normalised(reply.prefix { $0 != 0x0d && $0 != 0x0a }) + " len \(bucket(reply.count))"
    }

    /// Text with digit runs as `#`, quoted values as `'?'`, other bytes kept, at most 48 bytes:
    /// what an error says, not which value it names.
    static func normalised(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        var quote: UInt8?
        var lastDigit = false
        for b in bytes.prefix(256) {
            if let q = quote {
                if b == q { quote = nil; out += [UInt8(ascii: "?"), q] }
                continue
            }
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") { quote = b; out.append(b); continue }
            let digit = (0x30...0x39).contains(b)
            if digit { if !lastDigit { out.append(UInt8(ascii: "#")) } } else { out.append((0x20...0x7e).contains(b) ? b : UInt8(ascii: ".")) }
            lastDigit = digit
            if out.count >= 48 { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// printable / binary / empty, for a byte run too varied to keep.
    static func shape(_ bytes: some Collection<UInt8>) -> String {
        guard !bytes.isEmpty else { return "empty" }
        return bytes.allSatisfy { (0x20...0x7e).contains($0) } ? "text" : "binary"
    }

    /// 0, 1, 2-3, 4-7, ...: the power of two at or below `n`.
    static func bucket(_ n: Int) -> Int {
        guard n > 1 else { return max(0, n) }
        var unit = 1
        while unit * 2 <= n { unit *= 2 }
        return unit
    }
}
