// Reading names out of words: group names, selectors (`web`, `web[3]`, `web[0..9]`, `*`) and
// `HOST:PORT` targets. Reserved words live here because they decide what may name a group.

enum Keywords {
    /// Words that cannot name a group. `server` must be reserved (`expect server ...`); the rest
    /// are command names and the words that follow a selector, reserved so a scenario like
    /// `expect echo echo` can never be written and misread.
    static let reserved: Set<Substring> = [
        "seed", "set", "print", "sleep", "include", "repeat", "server", "target", "connect",
        "send", "halfclose", "reset", "close", "pause", "resume", "expect", "load", "fuzz",
        "hex", "file", "random", "echo", "recv", "match", "reply", "replies", "no-reply", "eof", "open", "refused", "closed",
        "connected", "within", "p50", "p90", "p99", "p999", "max",
    ]
}

/// A parsed selector plus where its parts are, so the checker can point at the offending index.
struct SelectorSite {
    var selector: Selector
    var nameLocation: SourceLocation
    /// Where the index (or the low end of a range) starts.
    var lowLocation: SourceLocation
    /// Where the high end of a range starts (same as `lowLocation` for a single index).
    var highLocation: SourceLocation
}

enum SelectorParsing {
    /// `[A-Za-z_][A-Za-z0-9_-]*` and not a keyword.
    static func groupName(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> String {
        guard let first = text.unicodeScalars.first, isNameStart(first),
              text.unicodeScalars.allSatisfy({ isNameStart($0) || ("0"..."9").contains($0) || $0 == "-" })
        else {
            throw ScenarioError(
                "invalid group name \(ValueParser.got(text)): use letters, digits, '_' and '-', starting with a letter or '_'",
                at: location)
        }
        if Keywords.reserved.contains(text) {
            throw ScenarioError("'\(text)' is a keyword, not a group name", at: location)
        }
        return String(text)
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    static func selector(_ token: Token) throws(ScenarioError) -> SelectorSite {
        let here = token.location
        guard token.kind == .word else {
            throw ScenarioError("expected a selector like web, web[3], web[0..9] or *, got \(token.display)", at: here)
        }
        let text = Substring(token.text)
        if text == "*" { return SelectorSite(selector: .all, nameLocation: here, lowLocation: here, highLocation: here) }
        guard let open = text.firstIndex(of: "[") else {
            let name = try groupName(text, at: here)
            return SelectorSite(selector: .group(name), nameLocation: here, lowLocation: here, highLocation: here)
        }
        let nameText = text[..<open]
        if nameText.isEmpty || nameText == "*" {
            throw ScenarioError("expected a group name before '[' in '\(text)'", at: here)
        }
        let name = try groupName(nameText, at: here)
        let openColumn = nameText.unicodeScalars.count
        guard let close = text.lastIndex(of: "]"), close > open else {
            throw ScenarioError("missing ']' in selector '\(text)'", at: here.advanced(by: openColumn))
        }
        let after = text[text.index(after: close)...]
        if !after.isEmpty {
            throw ScenarioError("unexpected '\(after)' after ']' in selector '\(text)'",
                                at: here.advanced(by: text[...close].unicodeScalars.count))
        }
        let inside = text[text.index(after: open)..<close]
        let low = here.advanced(by: openColumn + 1)
        guard let dots = inside.firstRange(of: "..") else {
            let index = try self.index(inside, in: text, at: low)
            return SelectorSite(selector: .member(name, index: index), nameLocation: here, lowLocation: low, highLocation: low)
        }
        let loText = inside[..<dots.lowerBound]
        let hiText = inside[dots.upperBound...]
        let high = low.advanced(by: loText.unicodeScalars.count + 2)
        let lo = try index(loText, in: text, at: low)
        let hi = try index(hiText, in: text, at: high)
        guard lo <= hi else {
            throw ScenarioError("empty range '\(inside)' in '\(text)': the low end is above the high end", at: low)
        }
        return SelectorSite(selector: .range(name, indices: lo...hi), nameLocation: here, lowLocation: low, highLocation: high)
    }

    private static func index(_ text: Substring, in selector: Substring, at location: SourceLocation) throws(ScenarioError) -> Int {
        guard let value = NumberParsing.plainInteger(text) else {
            throw ScenarioError("expected an index like 3 or a range like 0..9 in '\(selector)', got \(ValueParser.got(text))",
                                at: location)
        }
        return value
    }

    /// `HOST:PORT`, `[v6]:PORT`. The host is returned without brackets.
    static func hostPort(_ token: Token) throws(ScenarioError) -> (host: String, port: Int) {
        let text = Substring(token.text)
        let here = token.location
        let expected = "expected HOST:PORT like 127.0.0.1:7 or [::1]:7, got \(token.display)"
        guard token.kind == .word else { throw ScenarioError(expected, at: here) }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ScenarioError("missing ']' after the IPv6 address in '\(text)'", at: here)
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":", !host.isEmpty else { throw ScenarioError(expected, at: here) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ScenarioError(expected, at: here) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ScenarioError("an IPv6 address needs brackets, like [::1]:7, got '\(text)'", at: here)
            }
            guard !host.isEmpty else { throw ScenarioError(expected, at: here) }
        }
        let portLocation = here.advanced(by: text.unicodeScalars.count - portText.unicodeScalars.count)
        let port = try NumberParsing.port(portText, at: portLocation, range: 1...65535)
        return (String(host), port)
    }
}
