// A toxic as words, for the command line, the console and scenario files:
//   KIND [ATTRIBUTE=VALUE ...] [upstream|downstream] [toxicity=P] [name=NAME]
// Attribute names are toxiproxy's; values carry units (latency=100ms, bytes=4KiB,
// rate=64KB/s, delay=500us), converted to toxiproxy's units exactly or refused.


public enum ToxicText {
    /// `match=` is a regular expression taken verbatim; `reply=` takes \r \n \t \0 \\ \" and \xHH.
    public static func parse(_ words: [Substring]) throws(ToxicError) -> Toxic {
        guard let first = words.first else {
            throw ToxicError("expected a toxic kind: \(ToxicType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let type = ToxicType(rawValue: underscored(first)) else {
            throw ToxicError("unknown toxic '\(first)': the kinds are \(ToxicType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var stream = ToxicStream.downstream
        var toxicity = 1.0
        var name: String?
        var attributes: [String: Int64] = [:]
        var match: String?
        var reply: [UInt8]?
        for word in words.dropFirst() {
            if let direction = ToxicStream(rawValue: String(word)) {
                stream = direction
                continue
            }
            guard let equals = word.firstIndex(of: "=") else {
                throw ToxicError("'\(word)': expected upstream, downstream or ATTRIBUTE=VALUE (\(type.rawValue) takes \(names(type)))")
            }
            let key = underscored(word[..<equals])
            let value = word[word.index(after: equals)...]
            switch key {
            case "toxicity":
                guard let p = Double(value), p >= 0, p <= 1 else { throw ToxicError("toxicity=\(value): expected a probability 0-1, like 0.5") }
                toxicity = p
            case "name":
                guard !value.isEmpty else { throw ToxicError("name= needs a name") }
                name = String(value)
            case "match":
                guard !value.isEmpty else { throw ToxicError("match= needs a regular expression") }
                match = String(unquoted(value))
            case "reply":
                reply = try unescaped(unquoted(value))
            default:
                guard let attribute = type.attributes.first(where: { $0.name == key }) else {
                    throw ToxicError("\(type.rawValue) has no attribute '\(key)' (it takes \(names(type)), toxicity=, name=)")
                }
                attributes[key] = try convert(value, to: attribute.unit, key: key)
            }
        }
        if type == .bandwidth && attributes["rate", default: 0] == 0 {
            // Written, a bandwidth toxic means a limit; toxiproxy's API takes 0 as none, and so does ours.
            throw ToxicError("bandwidth needs rate= above 0, like rate=64KB/s")
        }
        return try Toxic(name: name, type: type, stream: stream, toxicity: toxicity, attributes: attributes, match: match, reply: reply)
    }

    /// `"..."` around a value (as the scenario language writes it) comes off.
    private static func unquoted(_ value: Substring) -> Substring {
        value.count >= 2 && value.first == "\"" && value.last == "\"" ? value.dropFirst().dropLast() : value
    }

    static func unescaped(_ text: Substring) throws(ToxicError) -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard let e = bytes.popFirst() else { throw ToxicError("reply=: a lone \\ at the end") }
            switch e {
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "x"):
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw ToxicError("reply=: \\x needs two hex digits")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            default: throw ToxicError("reply=: unknown escape \\\(Character(UnicodeScalar(e)))")
            }
        }
        return out
    }

    /// `latency latency=100ms jitter=10ms downstream` and the rest, in parse's syntax.
    public static func render(_ toxic: Toxic) -> String {
        var words = [toxic.type.rawValue]
        for attribute in toxic.type.attributes {
            words.append("\(attribute.name)=\(format(toxic[attribute.name], attribute.unit))")
        }
        if let match = toxic.match { words.append("match=\"\(match)\"") }
        if let reply = toxic.reply { words.append("reply=\"\(ByteEscaping.escaped(reply))\"") }
        words.append(toxic.stream.rawValue)
        if toxic.toxicity != 1 { words.append("toxicity=\(toxic.toxicity)") }
        if toxic.name != "\(toxic.type.rawValue)_\(toxic.stream.rawValue)" { words.append("name=\(toxic.name)") }
        return words.joined(separator: " ")
    }

    /// `slow-close` reads as toxiproxy's `slow_close`.
    private static func underscored(_ word: Substring) -> String {
        String(word.map { $0 == "-" ? "_" : $0 })
    }

    private static func names(_ type: ToxicType) -> String {
        type.attributes.map { "\($0.name)=" }.joined(separator: ", ")
    }

    private static func convert(_ value: Substring, to unit: ToxicType.AttributeUnit, key: String) throws(ToxicError) -> Int64 {
        do {
            switch unit {
            case .milliseconds, .microseconds:
                let ns = try ValueParser.duration(value).nanoseconds
                let per: Int64 = unit == .milliseconds ? 1_000_000 : 1_000
                guard ns % per == 0 else {
                    throw ToxicError("\(key)=\(value): toxiproxy counts \(key) in whole \(unit == .milliseconds ? "milliseconds" : "microseconds")")
                }
                return ns / per
            case .bytes:
                return Int64(try ValueParser.size(value).bytes)
            case .count:
                return Int64(try ValueParser.count(value))
            case .kilobytesPerSecond:
                let perSecond = value.hasSuffix("/s") ? value.dropLast(2) : value
                guard value.hasSuffix("/s") else { throw ToxicError("\(key)=\(value): expected a rate like 64KB/s or 1MB/s") }
                let bytes = Int64(try ValueParser.size(perSecond).bytes)
                guard bytes % 1000 == 0 else {
                    throw ToxicError("\(key)=\(value): toxiproxy counts rate in whole KB/s (1000 bytes)")
                }
                return bytes / 1000
            }
        } catch let error as ToxicError {
            throw error
        } catch let error as ValueError {
            throw ToxicError("\(key)=\(value): \(error.message)")
        } catch {
            throw ToxicError("\(key)=\(value): \(error)")
        }
    }

    private static func format(_ value: Int64, _ unit: ToxicType.AttributeUnit) -> String {
        switch unit {
        case .milliseconds: value == 0 ? "0" : "\(value)ms"
        case .microseconds: value == 0 ? "0" : "\(value)us"
        case .bytes, .count: "\(value)"
        case .kilobytesPerSecond: "\(value)KB/s"
        }
    }
}
