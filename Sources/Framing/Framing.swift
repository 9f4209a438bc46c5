// The framings a connection can speak: how a byte stream is cut into whole messages. A value
// with a canonical text form (`line`, `length:4be`, `resp`, `http1`), read by the language and
// the command line alike.

public enum Framing: Sendable, Equatable, CustomStringConvertible {
    /// Whatever arrived in one read is a frame (no protocol knowledge).
    case raw
    /// Lines ending in LF or CRLF; the payload excludes the terminator.
    case line(maxLength: Int = Framing.defaultMaxLength)
    /// Frames ending in `delimiter` (at least one byte); the payload excludes it.
    case delimiter([UInt8], maxLength: Int = Framing.defaultMaxLength)
    /// A binary length prefix, then that many bytes.
    case length(LengthPrefix)
    /// Redis replies, RESP2 and RESP3, nested aggregates included.
    case resp(maxLength: Int = Framing.defaultMaxLength)
    /// HTTP/1.x responses: Content-Length, chunked, close-delimited, 1xx, bodiless HEAD/204/304.
    case http1(maxLength: Int = Framing.defaultMaxLength)

    /// Largest frame accepted by default: past it the stream is taken as malformed.
    public static let defaultMaxLength = 64 << 20

    public var description: String {
        switch self {
        case .raw: return "raw"
        case .line: return "line"
        case .delimiter(let d, _): return "delimiter:" + d.map(Self.escape).joined()
        case .length(let p): return p.description
        case .resp: return "resp"
        case .http1: return "http1"
        }
    }

    /// The names `Framing(parsing:)` takes, for help and completion.
    public static let names = ["raw", "line", "delimiter:TEXT", "length:N(be|le)[+]", "resp", "http1"]

    /// Each name as typed up to its argument (`delimiter:`, `length:`): what completion offers
    /// and the command table lists, so neither keeps a list of its own to fall behind.
    public static let typedNames = names.map { name in name.firstIndex(of: ":").map { String(name[...$0]) } ?? name }

    /// `raw`, `line`, `resp`, `http1`, `delimiter:TEXT` (TEXT with \r \n \t \0 \xHH escapes),
    /// `length:4be` (1, 2, 4 or 8 bytes; big or little endian; `+` when the prefix counts itself).
    public init(parsing text: String) throws(FramingSpecError) {
        switch text {
        case "raw": self = .raw
        case "line": self = .line()
        case "resp": self = .resp()
        case "http1": self = .http1()
        default:
            if text.hasPrefix("delimiter:") {
                let bytes = try Self.unescape(String(text.dropFirst("delimiter:".count)))
                guard !bytes.isEmpty else { throw FramingSpecError("delimiter: needs at least one byte") }
                self = .delimiter(bytes)
            } else if text.hasPrefix("length:") {
                self = .length(try LengthPrefix(parsing: String(text.dropFirst("length:".count))))
            } else {
                throw FramingSpecError("unknown framing '\(text)': expected one of \(Self.names.joined(separator: ", "))")
            }
        }
    }

    /// One delimiter byte as `init(parsing:)` reads it back, and as one blank-free word that a
    /// scenario line keeps whole: no space, quote or `#`, which would split or end the word.
    static func escape(_ b: UInt8) -> String {
        switch b {
        case 0x0d: return "\\r"
        case 0x0a: return "\\n"
        case 0x09: return "\\t"
        case 0x00: return "\\0"
        case 0x5c: return "\\\\"
        case 0x21...0x7e where b != 0x22 && b != 0x23: return String(UnicodeScalar(b))
        default:
            let digits = Array("0123456789abcdef")
            return "\\x" + String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
        }
    }

    static func unescape(_ text: String) throws(FramingSpecError) -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard let e = bytes.popFirst() else { throw FramingSpecError("'\\' at the end of '\(text)'") }
            switch e {
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "\\"): out.append(0x5c)
            case UInt8(ascii: "x"):
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw FramingSpecError("expected two hex digits after '\\x' in '\(text)'")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            default: throw FramingSpecError("unknown escape '\\\(UnicodeScalar(e))' in '\(text)'")
            }
        }
        return out
    }
}

/// A binary length prefix: its width, byte order, whether it counts itself, and the largest frame.
public struct LengthPrefix: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var bigEndian: Bool
    public var includesPrefix: Bool
    public var maxLength: Int

    public init(width: Int, bigEndian: Bool = true, includesPrefix: Bool = false, maxLength: Int = Framing.defaultMaxLength) {
        precondition([1, 2, 4, 8].contains(width), "a length prefix is 1, 2, 4 or 8 bytes")
        self.width = width
        self.bigEndian = bigEndian
        self.includesPrefix = includesPrefix
        self.maxLength = maxLength
    }

    /// `4be`, `2le+`, `1` (one byte has no byte order; big endian is the default).
    init(parsing text: String) throws(FramingSpecError) {
        var rest = Substring(text)
        let counts = rest.hasSuffix("+")
        if counts { rest = rest.dropLast() }
        var big = true
        if rest.hasSuffix("be") { rest = rest.dropLast(2) } else if rest.hasSuffix("le") { rest = rest.dropLast(2); big = false }
        guard let width = Int(rest), [1, 2, 4, 8].contains(width) else {
            throw FramingSpecError("length:\(text): expected a prefix of 1, 2, 4 or 8 bytes, like length:4be or length:2le+")
        }
        self.init(width: width, bigEndian: big, includesPrefix: counts)
    }

    public var description: String { "length:\(width)\(bigEndian ? "be" : "le")\(includesPrefix ? "+" : "")" }
}

public struct FramingSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
