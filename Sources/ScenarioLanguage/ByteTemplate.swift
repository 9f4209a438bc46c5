// Strings with `${name}` references: a capture made by an earlier `expect ... capture=name`, or
// an environment variable. Found in the raw string (so `\x24{` stays a literal `${`), filled in
// when the command runs.

/// The bytes of a quoted string, with the references it makes.
public struct ByteTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal([UInt8])
        /// `${name}`: a capture, else an environment variable.
        case reference(String)
    }

    public var parts: [Part]

    public init(_ parts: [Part]) { self.parts = parts }

    public init(bytes: [UInt8]) { parts = bytes.isEmpty ? [] : [.literal(bytes)] }

    /// The names referred to, in order.
    public var references: [String] {
        parts.compactMap { if case .reference(let name) = $0 { return name } else { return nil } }
    }

    /// The bytes when the template refers to nothing.
    public var literalBytes: [UInt8]? {
        references.isEmpty ? parts.flatMap { if case .literal(let b) = $0 { return b } else { return [] } } : nil
    }

    /// The bytes with each reference filled in; throws the first name `lookup` does not know.
    public func expanded(_ lookup: (String) -> [UInt8]?) throws(UnknownReference) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            switch part {
            case .literal(let bytes): out += bytes
            case .reference(let name):
                guard let value = lookup(name) else { throw UnknownReference(name: name) }
                out += value
            }
        }
        return out
    }

    /// Canonical quoted text: literal parts quoted as usual, references as `${name}`.
    var quoted: String {
        "\"" + parts.map { part -> String in
            switch part {
            case .literal(let bytes): return String(StringLiteral.quote(bytes).dropFirst().dropLast())
            case .reference(let name): return "${\(name)}"
            }
        }.joined() + "\""
    }
}

extension ByteTemplate: ExpressibleByStringLiteral {
    /// Literal text, no references (`.print("hello")`).
    public init(stringLiteral text: String) { self.init(bytes: Array(text.utf8)) }
}

public struct UnknownReference: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public init(name: String) { self.name = name }
    public var description: String {
        "unknown name '${\(name)}': neither an earlier capture= nor an environment variable"
    }
}

public enum References {
    /// `${name}` spans in raw (undecoded) string text, as (name, range of the whole reference).
    public static func find(in raw: String) -> [(name: String, range: Range<String.Index>)] {
        var found: [(String, Range<String.Index>)] = []
        var i = raw.startIndex
        while let dollar = raw[i...].firstIndex(of: "$") {
            let open = raw.index(after: dollar)
            guard open < raw.endIndex, raw[open] == "{", let close = raw[open...].firstIndex(of: "}") else {
                i = raw.index(after: dollar)
                continue
            }
            let name = String(raw[raw.index(after: open)..<close])
            if isName(name) { found.append((name, dollar..<raw.index(after: close))) }
            i = raw.index(after: close)
        }
        return found
    }

    public static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

extension StringLiteral {
    /// A string token as a template: its escapes decoded between `${name}` references, each
    /// reference checked against the captures made so far and the environment.
    static func template(of token: Token, state: CheckState) throws(ScenarioError) -> ByteTemplate {
        let raw = token.text
        var parts: [ByteTemplate.Part] = []
        var start = raw.startIndex
        for (name, range) in References.find(in: raw) {
            let column = raw.unicodeScalars.distance(from: raw.startIndex, to: range.lowerBound)
            guard state.knows(name) else {
                throw ScenarioError(UnknownReference(name: name).description, at: token.location.advanced(by: 1 + column))
            }
            parts.append(contentsOf: try literal(token, raw[start..<range.lowerBound], from: start))
            parts.append(.reference(name))
            start = range.upperBound
        }
        parts.append(contentsOf: try literal(token, raw[start...], from: start))
        return ByteTemplate(parts)
    }

    private static func literal(_ token: Token, _ piece: Substring, from start: String.Index) throws(ScenarioError) -> [ByteTemplate.Part] {
        guard !piece.isEmpty else { return [] }
        let offset = token.text.unicodeScalars.distance(from: token.text.startIndex, to: start)
        var sub = token
        sub.text = String(piece)
        sub.location = token.location.advanced(by: offset)
        return [.literal(try bytes(of: sub))]
    }
}
