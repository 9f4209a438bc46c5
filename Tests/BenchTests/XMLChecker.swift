// A strict XML well-formedness checker, enough for the bench page: balanced and properly nested
// elements, one root, quoted and unique attributes, only the five predefined or numeric entity
// references, no raw '<' or '&' in text. FoundationXML on Linux parses in recover mode and accepts
// a broken document, so it cannot be the judge; this can, and the tests show it failing.

struct XMLElementInfo: Equatable {
    var name: String
    var attributes: [String: String]
    var depth: Int
}

struct XMLCheckError: Error, CustomStringConvertible, Equatable {
    var offset: Int
    var message: String
    var description: String { "offset \(offset): \(message)" }
}

struct XMLChecker {
    private let s: [UInt8]
    private var i = 0
    private(set) var elements: [XMLElementInfo] = []

    /// Checks `text`; returns every element in document order, or throws the first error.
    static func check(_ text: String) throws(XMLCheckError) -> [XMLElementInfo] {
        var checker = XMLChecker(s: Array(text.utf8))
        try checker.document()
        return checker.elements
    }

    private init(s: [UInt8]) { self.s = s }

    private func fail(_ message: String) -> XMLCheckError { XMLCheckError(offset: i, message: message) }

    private func starts(_ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        return i + p.count <= s.count && Array(s[i..<i + p.count]) == p
    }

    private mutating func skip(past terminator: String, what: String) throws(XMLCheckError) {
        let t = Array(terminator.utf8)
        while i + t.count <= s.count {
            if Array(s[i..<i + t.count]) == t { i += t.count; return }
            i += 1
        }
        throw fail("unterminated \(what)")
    }

    private mutating func skipSpace() { while i < s.count, [0x20, 0x09, 0x0A, 0x0D].contains(s[i]) { i += 1 } }

    private static func isNameStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 58 || c >= 0x80 }
    private static func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 48 && c <= 57) || c == 45 || c == 46 }

    private mutating func name() throws(XMLCheckError) -> String {
        guard i < s.count, Self.isNameStart(s[i]) else { throw fail("expected a name") }
        let start = i
        while i < s.count, Self.isNameChar(s[i]) { i += 1 }
        return String(decoding: s[start..<i], as: UTF8.self)
    }

    /// Prolog, one root element, then only comments, PIs and space.
    private mutating func document() throws(XMLCheckError) {
        var rootSeen = false
        while true {
            skipSpace()
            if i >= s.count { break }
            if starts("<?") { try skip(past: "?>", what: "processing instruction"); continue }
            if starts("<!--") { try skip(past: "-->", what: "comment"); continue }
            if starts("<!DOCTYPE") {
                guard !rootSeen else { throw fail("DOCTYPE after the root element") }
                try skip(past: ">", what: "DOCTYPE")
                continue
            }
            guard starts("<") else { throw fail("text outside the root element") }
            guard !rootSeen else { throw fail("a second root element") }
            try element(depth: 0)
            rootSeen = true
        }
        guard rootSeen else { throw fail("no root element") }
    }

    private mutating func element(depth: Int) throws(XMLCheckError) {
        i += 1 // '<'
        let tag = try name()
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = i < s.count && [0x20, 0x09, 0x0A, 0x0D].contains(s[i])
            skipSpace()
            guard i < s.count else { throw fail("unterminated start tag <\(tag)>") }
            if starts("/>") {
                i += 2
                elements.append(XMLElementInfo(name: tag, attributes: attributes, depth: depth))
                return
            }
            if s[i] == UInt8(ascii: ">") { i += 1; break }
            guard hadSpace else { throw fail("expected space before an attribute in <\(tag)>") }
            let attribute = try name()
            skipSpace()
            guard i < s.count, s[i] == UInt8(ascii: "=") else { throw fail("attribute \(attribute) of <\(tag)> has no value") }
            i += 1
            skipSpace()
            guard i < s.count, s[i] == UInt8(ascii: "\"") || s[i] == UInt8(ascii: "'") else {
                throw fail("unquoted value of attribute \(attribute) in <\(tag)>")
            }
            let quote = s[i]
            i += 1
            let start = i
            while i < s.count, s[i] != quote {
                if s[i] == UInt8(ascii: "<") { throw fail("'<' in the value of attribute \(attribute)") }
                if s[i] == UInt8(ascii: "&") { try reference() } else { i += 1 }
            }
            guard i < s.count else { throw fail("unterminated value of attribute \(attribute)") }
            guard attributes[attribute] == nil else { throw fail("attribute \(attribute) twice in <\(tag)>") }
            attributes[attribute] = String(decoding: s[start..<i], as: UTF8.self)
            i += 1
        }
        elements.append(XMLElementInfo(name: tag, attributes: attributes, depth: depth))
        // Content, up to the matching end tag.
        while true {
            guard i < s.count else { throw fail("<\(tag)> is never closed") }
            if starts("</") {
                i += 2
                let closing = try name()
                skipSpace()
                guard i < s.count, s[i] == UInt8(ascii: ">") else { throw fail("malformed end tag </\(closing)") }
                guard closing == tag else { throw fail("</\(closing)> closes <\(tag)>") }
                i += 1
                return
            }
            if starts("<!--") { try skip(past: "-->", what: "comment"); continue }
            if starts("<![CDATA[") { try skip(past: "]]>", what: "CDATA section"); continue }
            if starts("<?") { try skip(past: "?>", what: "processing instruction"); continue }
            if starts("<") { try element(depth: depth + 1); continue }
            if s[i] == UInt8(ascii: "&") { try reference(); continue }
            if starts("]]>") { throw fail("']]>' in text") }
            if s[i] < 0x20 && ![0x09, 0x0A, 0x0D].contains(s[i]) { throw fail("control character \(s[i]) in text") }
            i += 1
        }
    }

    /// &amp; &lt; &gt; &quot; &apos; &#N; &#xH; and nothing else (no DTD defines more).
    private mutating func reference() throws(XMLCheckError) {
        let start = i
        i += 1
        while i < s.count, s[i] != UInt8(ascii: ";"), i - start < 12 { i += 1 }
        guard i < s.count, s[i] == UInt8(ascii: ";") else { i = start; throw fail("bare '&' (not an entity reference)") }
        let body = String(decoding: s[(start + 1)..<i], as: UTF8.self)
        i += 1
        if ["amp", "lt", "gt", "quot", "apos"].contains(body) { return }
        if body.hasPrefix("#x"), UInt32(body.dropFirst(2), radix: 16) != nil { return }
        if body.hasPrefix("#"), UInt32(body.dropFirst()) != nil { return }
        i = start
        throw fail("undefined entity &\(body);")
    }
}
