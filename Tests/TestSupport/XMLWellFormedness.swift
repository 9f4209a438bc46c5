// A strict, small XML well-formedness check for reports (JUnit XML, the HTML page written as
// XHTML): balanced and properly nested tags, quoted attributes, known entities, one root, no
// stray '<' or '&'. Foundation's parsers on Linux recover from some of these silently.

public enum XMLWellFormedness {
    /// nil when `text` is well-formed; otherwise what is wrong and where (byte offset).
    public static func problem(in text: String) -> String? {
        let s = Array(text.utf8)
        var i = 0
        var stack: [String] = []
        var roots = 0
        func at(_ k: Int, _ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return k + p.count <= s.count && Array(s[k..<(k + p.count)]) == p
        }
        func skip(to terminator: String, from k: Int) -> Int? {
            var j = k
            while j < s.count { if at(j, terminator) { return j + terminator.utf8.count }; j += 1 }
            return nil
        }
        func checkText(_ range: Range<Int>) -> String? {
            var j = range.lowerBound
            while j < range.upperBound {
                if s[j] == UInt8(ascii: "&") {
                    guard let end = s[j..<range.upperBound].firstIndex(of: UInt8(ascii: ";")) else { return "bare '&' at \(j)" }
                    let name = String(decoding: s[(j + 1)..<end], as: UTF8.self)
                    let known = ["amp", "lt", "gt", "quot", "apos"].contains(name)
                        || (name.hasPrefix("#") && name.dropFirst().allSatisfy { $0.isHexDigit || $0 == "x" })
                    if !known { return "unknown entity '&\(name);' at \(j)" }
                    j = end
                } else if s[j] == UInt8(ascii: "<") {
                    return "stray '<' at \(j)"
                }
                j += 1
            }
            return nil
        }
        while i < s.count {
            guard s[i] == UInt8(ascii: "<") else {
                let next = s[i...].firstIndex(of: UInt8(ascii: "<")) ?? s.count
                if let p = checkText(i..<next) { return p }
                if stack.isEmpty && !s[i..<next].allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
                    return "text outside the root element at \(i)"
                }
                i = next
                continue
            }
            if at(i, "<?") { guard let e = skip(to: "?>", from: i) else { return "unterminated '<?' at \(i)" }; i = e; continue }
            if at(i, "<!--") { guard let e = skip(to: "-->", from: i) else { return "unterminated comment at \(i)" }; i = e; continue }
            if at(i, "<![CDATA[") { guard let e = skip(to: "]]>", from: i) else { return "unterminated CDATA at \(i)" }; i = e; continue }
            if at(i, "<!") { guard let e = skip(to: ">", from: i) else { return "unterminated '<!' at \(i)" }; i = e; continue }
            // A tag: read to the '>' that is not inside a quoted attribute value.
            var j = i + 1
            var quote: UInt8? = nil
            while j < s.count {
                if let q = quote { if s[j] == q { quote = nil } else if s[j] == UInt8(ascii: "<") { return "'<' inside an attribute at \(j)" } }
                else if s[j] == UInt8(ascii: "\"") || s[j] == UInt8(ascii: "'") { quote = s[j] }
                else if s[j] == UInt8(ascii: ">") { break }
                j += 1
            }
            guard j < s.count else { return "unterminated tag at \(i)" }
            var body = String(decoding: s[(i + 1)..<j], as: UTF8.self)
            if body.hasPrefix("/") {
                let name = body.dropFirst().trimmingCharacters(in: " \n\t")
                guard let open = stack.popLast() else { return "closing </\(name)> with nothing open at \(i)" }
                guard open == name else { return "</\(name)> closes <\(open)> at \(i)" }
            } else {
                let selfClosing = body.hasSuffix("/")
                if selfClosing { body.removeLast() }
                let parts = body.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                guard let name = parts.first, name.first?.isLetter == true else { return "bad tag name at \(i)" }
                if let p = attributeProblem(String(body.dropFirst(name.count)), at: i) { return p }
                if stack.isEmpty { roots += 1; if roots > 1 { return "second root element <\(name)> at \(i)" } }
                if !selfClosing { stack.append(String(name)) }
            }
            i = j + 1
        }
        if let open = stack.last { return "<\(open)> is never closed" }
        return roots == 1 ? nil : "no root element"
    }

    static func attributeProblem(_ text: String, at offset: Int) -> String? {
        var rest = Substring(text)
        var seen = Set<String>()
        while true {
            rest = rest.drop { $0 == " " || $0 == "\n" || $0 == "\t" }
            if rest.isEmpty { return nil }
            guard let eq = rest.firstIndex(of: "=") else { return "attribute without a value at \(offset)" }
            let name = String(rest[..<eq]).trimmingCharacters(in: " \n\t")
            guard !name.isEmpty, !name.contains(" ") else { return "bad attribute name '\(name)' at \(offset)" }
            guard seen.insert(name).inserted else { return "duplicate attribute '\(name)' at \(offset)" }
            rest = rest[rest.index(after: eq)...].drop { $0 == " " }
            guard let q = rest.first, q == "\"" || q == "'" else { return "unquoted attribute '\(name)' at \(offset)" }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: q) else { return "unterminated attribute '\(name)' at \(offset)" }
            let value = rest[..<close]
            if value.contains("&") {
                for piece in value.split(separator: "&", omittingEmptySubsequences: false).dropFirst() {
                    guard let semi = piece.firstIndex(of: ";") else { return "bare '&' in attribute '\(name)' at \(offset)" }
                    let entity = piece[..<semi]
                    if !["amp", "lt", "gt", "quot", "apos"].contains(entity) && !entity.hasPrefix("#") {
                        return "unknown entity in attribute '\(name)' at \(offset)"
                    }
                }
            }
            rest = rest[rest.index(after: close)...]
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
