// Parses the `expect` family: per-connection expectations (echo, recv, match, states, latency,
// connected count) and `expect server STAT OP N`. Regexes are compiled here to fail early.

import Foundation
import Vocabulary

extension CommandParser {
    mutating func parseExpect() throws(ScenarioError) -> Command {
        let first = try cursor.take("a selector or 'server' after 'expect'")
        if first.isWord("server") {
            try noEmbeddedServerAfterTarget("expect server", at: first.location)
            return try parseExpectServer()
        }
        if first.isWord("target"), cursor.peek()?.isWord("alive") == true {
            _ = cursor.next()
            var optionTokens: [Token] = []
            while let token = cursor.peek(), !token.isWord("within") { optionTokens.append(cursor.next()!) }
            var options = TokenCursor(optionTokens)
            let probe = try LoadRequestParsing.aliveProbe(try options.options(for: "expect target alive"))
            return .expectAlive(probe: probe.request, match: probe.match, within: try cursor.within())
        }
        let site = try SelectorParsing.selector(first)
        try groups.check(site)
        let selector = site.selector
        let choices = CommandTable.expectationWords.joined(separator: ", ") + " or a percentile like p99"
        let what = "what to expect: " + choices
        let kind = try cursor.word(what)
        if let state = ConnectionState(rawValue: kind.text) {
            return .expectState(selector, state, within: try cursor.within())
        }
        if let percentile = Percentile(rawValue: kind.text) {
            let op = try cursor.word("'<' or '<=' after '\(kind.text)'")
            guard let bound = LatencyBound(rawValue: op.text) else {
                throw ScenarioError("a latency bound takes '<' or '<=', got '\(op.text)'", at: op.location)
            }
            let limit = try duration("a duration after '\(kind.text) \(op.text)'")
            return .expectLatency(selector, percentile, bound, limit)
        }
        if let check = try parseTLSCheck(kind) {
            return .expectTLS(selector, check, within: try cursor.within())
        }
        switch kind.text {
        case "echo":
            return .expectEcho(selector, within: try cursor.within())
        case "recv":
            let token = try quoted(after: "recv")
            return .expectRecv(selector, bytes: try StringLiteral.template(of: token, state: state), within: try cursor.within())
        case "match":
            // The raw string goes to the regex engine, so `\d` and `\\` mean what regex authors expect.
            let token = try quoted(after: "match")
            try knowsReferences(token)
            try Self.compiles(token)
            try Self.needsBytes(token)
            return .expectMatch(selector, pattern: token.text, within: try cursor.within())
        case "reply":
            return .expectReply(selector, try parseReplyCheck(), within: try cursor.within())
        case "replies":
            let countToken = try cursor.word("a number of replies after 'replies'")
            let count = try Self.atLeast(try NumberParsing.count(Substring(countToken.text), at: countToken.location),
                                         1, "replies", at: countToken.location)
            return .expectReplies(selector, count, within: try cursor.within())
        case "no-reply":
            return .expectNoReply(selector, within: try cursor.within())
        case "skip":
            let sizeToken = try cursor.word("a size after 'skip'")
            let size = try NumberParsing.size(Substring(sizeToken.text), at: sizeToken.location)
            guard size.bytes >= 1 else { throw ScenarioError("skip must be at least 1 byte, got '\(sizeToken.text)'", at: sizeToken.location) }
            guard size.bytes <= InboxLimit.bytesPerConnection else {
                throw ScenarioError("skip can move past at most \(InboxLimit.bytesPerConnection >> 20)MiB at once (what is kept per connection), got '\(sizeToken.text)'",
                                    at: sizeToken.location)
            }
            return .expectSkip(selector, size, within: try cursor.within())
        case "drain":
            return .expectDrain(selector)
        case "connected":
            let op = try comparison()
            let countToken = try cursor.word("a connection count")
            let count = try NumberParsing.count(Substring(countToken.text), at: countToken.location)
            return .expectConnected(selector, op, count, within: try cursor.within())
        default:
            throw ScenarioError("unknown expectation '\(kind.text)': expected \(choices)", at: kind.location)
        }
    }

    /// `"bytes"` or `match "regex" [capture=NAME]` after `reply`.
    private mutating func parseReplyCheck() throws(ScenarioError) -> ReplyCheck {
        let token = try cursor.take("a quoted string or 'match' after 'reply'")
        if token.kind == .string { return .bytes(try StringLiteral.template(of: token, state: state)) }
        guard token.isWord("match") else {
            throw ScenarioError("expected a quoted string or 'match' after 'reply', got '\(token.text)'", at: token.location)
        }
        let pattern = try quoted(after: "reply match")
        try knowsReferences(pattern)
        try Self.compiles(pattern)
        var capture: String?
        if let next = cursor.peek(), next.kind == .word, next.text.hasPrefix("capture=") {
            _ = try cursor.take("capture=NAME")
            let name = String(next.text.dropFirst("capture=".count))
            guard References.isName(name) else {
                throw ScenarioError("a capture name is letters, digits and '_', not starting with a digit; got '\(name)'",
                                    at: next.location.advanced(by: "capture=".count))
            }
            state.captures.insert(name)
            capture = name
        }
        return .match(pattern: pattern.text, capture: capture)
    }

    /// Every `${name}` in a pattern is an earlier capture or an environment variable.
    private func knowsReferences(_ pattern: Token) throws(ScenarioError) {
        for (name, range) in References.find(in: pattern.text) where !state.knows(name) {
            let column = pattern.text.unicodeScalars.distance(from: pattern.text.startIndex, to: range.lowerBound)
            throw ScenarioError(UnknownReference(name: name).description, at: pattern.location.advanced(by: 1 + column))
        }
    }

    /// The pattern compiles, with any `${name}` standing in as a literal (filled in at run time).
    static func compiles(_ token: Token) throws(ScenarioError) {
        var pattern = token.text
        for (_, range) in References.find(in: pattern).reversed() { pattern.replaceSubrange(range, with: "x") }
        do {
            _ = try NSRegularExpression(pattern: pattern)
        } catch {
            throw ScenarioError("invalid regular expression \(token.display)", at: token.location)
        }
    }

    /// `expect match` waits for bytes that match: a pattern the empty string matches ("a|", "x*")
    /// holds at once on nothing, so it would check nothing.
    static func needsBytes(_ token: Token) throws(ScenarioError) {
        var pattern = token.text
        for (_, range) in References.find(in: pattern).reversed() { pattern.replaceSubrange(range, with: "x") }
        if let regex = try? NSRegularExpression(pattern: pattern), regex.firstMatch(in: "", range: NSRange(location: 0, length: 0)) != nil {
            throw ScenarioError("the pattern \(token.display) matches zero bytes, so it would hold before anything arrived: make it match at least one byte",
                                at: token.location)
        }
    }

    private mutating func parseExpectServer() throws(ScenarioError) -> Command {
        let names = ServerStat.allCases.map(\.rawValue)
        let statToken = try cursor.word("a server stat (\(TokenCursor.list(names)))")
        guard let stat = ServerStat(rawValue: statToken.text) else {
            throw ScenarioError("unknown server stat '\(statToken.text)': expected \(TokenCursor.list(names))", at: statToken.location)
        }
        let op = try comparison()
        let valueToken = try cursor.word("a number after '\(statToken.text) \(op.rawValue)'")
        let value = try NumberParsing.number(Substring(valueToken.text), at: valueToken.location)
        return .expectServer(stat, op, value, within: try cursor.within())
    }

    mutating func comparison() throws(ScenarioError) -> Comparison {
        let expected = "a comparison (==, !=, <, <=, > or >=)"
        let token = try cursor.take(expected)
        guard token.kind == .word, let op = Comparison(rawValue: token.text) else {
            throw ScenarioError("expected \(expected), got '\(token.display)'", at: token.location)
        }
        return op
    }

    mutating func quoted(after keyword: String) throws(ScenarioError) -> Token {
        let token = try cursor.take("a quoted string after '\(keyword)'")
        guard token.kind == .string else {
            throw ScenarioError("expected a quoted string after '\(keyword)', got '\(token.text)'", at: token.location)
        }
        return token
    }
}
