// The request/response options of `load`: `request="..."` (the language's string escapes),
// `framing=F` (Framing's text forms; without it the group's framing, checked when it runs) and
// `expect="regex"` (verbatim, as `match` takes it).
// Echo load's `size=` and these exclude each other. The `fuzz` statement's request options
// (`request=` or `request-file=`, `framing=`, `mask=`) are read here too.

import Foundation
import Framing

enum LoadRequestParsing {
    static func requests(_ options: Options, head: Token) throws(ScenarioError) -> LoadRequests? {
        guard let requestLocation = options.location(of: "request") else {
            for key in ["framing", "expect"] {
                if let at = options.keyLocation(of: key) {
                    throw ScenarioError("'\(key)=' goes with request=\"...\" (request/response load)", at: at)
                }
            }
            return nil
        }
        if let at = options.keyLocation(of: "size") {
            throw ScenarioError("give size= (echo load) or request= (request/response load), not both", at: at)
        }
        return LoadRequests(request: try request(options, at: requestLocation), framing: try framing(options),
                            expect: try regex(options, "expect"))
    }

    /// `fuzz`'s `request="..."` or `request-file=FILE`, with `framing=F` (required) and `mask="regex"`.
    /// `oracle=content|replies`, and what goes only with content: `spawn="CMD {port}"`,
    /// `hang-timeout=D`. nil: the cut oracle (or no requests at all).
    static func fuzzContent(_ options: Options, requests: FuzzRequests?) throws(ScenarioError) -> FuzzContent? {
        var content = false
        if let at = options.location(of: "oracle") {
            switch options.values["oracle"]!.text {
            case "content": content = true
            case "replies": content = false
            default: throw ScenarioError("oracle= takes content or replies", at: at)
            }
            if requests == nil { throw ScenarioError("oracle= goes with request=\"...\" or request-file=FILE", at: options.keyLocation(of: "oracle")!) }
        }
        for key in ["spawn", "hang-timeout"] where !content {
            if let at = options.keyLocation(of: key) { throw ScenarioError("'\(key)=' goes with oracle=content", at: at) }
        }
        guard content else { return nil }
        if let at = options.keyLocation(of: "connections") {
            throw ScenarioError("'connections=' goes with echo or replies fuzzing: content fuzzing sends each input on a connection of its own", at: at)
        }
        if let at = options.keyLocation(of: "mask") { throw ScenarioError("'mask=' goes with oracle=replies (content fuzzing masks nothing without a reference)", at: at) }
        var spawn: String?
        if let at = options.location(of: "spawn") {
            let text = try StringLiteral.text(of: try quoted(options, "spawn", at: at))
            guard text.contains("{port}") else { throw ScenarioError("spawn= needs {port} where the server should listen", at: at) }
            spawn = text
        }
        let hangTimeout = try options.value("hang-timeout") { (t, l) throws(ScenarioError) in
            try CommandParser.positive(try NumberParsing.duration(t, at: l), "hang-timeout", at: l)
        }
        return FuzzContent(spawn: spawn, hangTimeout: hangTimeout)
    }

    static func fuzzRequests(_ options: Options, head: Token) throws(ScenarioError) -> FuzzRequests? {
        let source: FuzzRequests.Source
        switch (options.location(of: "request"), options.location(of: "request-file")) {
        case (nil, nil):
            for key in ["framing", "mask"] {
                if let at = options.keyLocation(of: key) {
                    throw ScenarioError("'\(key)=' goes with request=\"...\" or request-file=FILE (request/response fuzzing)", at: at)
                }
            }
            return nil
        case (_?, _?):
            throw ScenarioError("give request=\"...\" or request-file=FILE, not both", at: options.keyLocation(of: "request-file")!)
        case (let at?, nil):
            source = .bytes(try request(options, at: at))
        case (nil, let at?):
            let path = String(options.values["request-file"]!.text)
            guard !path.isEmpty else { throw ScenarioError("a request file after 'request-file='", at: at) }
            source = .file(path)
        }
        guard let framing = try framing(options) else {
            throw ScenarioError("request/response fuzzing needs framing=F (line, resp, http1, delimiter:TEXT or length:4be)", at: head.location)
        }
        if case .http1 = framing, case .bytes(let request) = source, HTTP1Request.isHEAD(request) {
            // Each piece of a request is a `send`: the scenario would pair a HEAD's bodiless response with a piece.
            throw ScenarioError("HEAD requests cannot be fuzzed yet (their pieces are sent separately); use GET",
                                at: options.location(of: "request")!)
        }
        return FuzzRequests(source, framing: framing, mask: try regex(options, "mask"))
    }

    /// `request="..."`'s bytes (the language's escapes), never empty.
    private static func request(_ options: Options, at location: SourceLocation, key: String = "request") throws(ScenarioError) -> [UInt8] {
        let request = try StringLiteral.bytes(of: try quoted(options, key, at: location))
        guard !request.isEmpty else { throw ScenarioError("\(key)= is empty: an empty request gets no reply", at: location) }
        return request
    }

    /// `expect target alive`'s `probe="..."` (the language's escapes) and `match="regex"`.
    static func aliveProbe(_ options: Options) throws(ScenarioError) -> (request: [UInt8]?, match: String?) {
        var probe: [UInt8]?
        if let at = options.location(of: "probe") { probe = try request(options, at: at, key: "probe") }
        if probe == nil, let at = options.keyLocation(of: "match") {
            // Without a probe nothing is sent, so no answer comes to match: it would be ignored.
            throw ScenarioError("match= checks the answer to probe=: give probe=\"...\" too (without it, alive checks only that a connection is accepted)", at: at)
        }
        return (probe, try regex(options, "match"))
    }

    /// `framing=F`, if given; raw is refused (it cannot tell one reply from the next).
    private static func framing(_ options: Options) throws(ScenarioError) -> Framing? {
        guard let framing = try options.value("framing", CommandParser.framing) else { return nil }
        guard framing != .raw else {
            throw ScenarioError("framing=raw cannot tell one reply from the next: pick line, resp, http1, delimiter: or length:",
                                at: options.location(of: "framing")!)
        }
        return framing
    }

    /// A quoted regular expression option (verbatim), checked to compile.
    private static func regex(_ options: Options, _ key: String) throws(ScenarioError) -> String? {
        guard let at = options.location(of: key) else { return nil }
        let token = try quoted(options, key, at: at)
        guard (try? NSRegularExpression(pattern: token.text)) != nil else {
            throw ScenarioError("invalid regular expression \(token.display)", at: at)
        }
        return token.text
    }

    /// The option's value as a string token: it must be written `key="..."`.
    private static func quoted(_ options: Options, _ key: String, at location: SourceLocation) throws(ScenarioError) -> Token {
        let text = options.values[key]!.text
        guard text.count >= 2, text.first == "\"", text.last == "\"" else {
            throw ScenarioError("\(key)= takes a quoted string, like \(key)=\"PING\\r\\n\"", at: location)
        }
        let inner = String(text.dropFirst().dropLast())
        return Token(kind: .string, text: inner, location: location, width: text.unicodeScalars.count)
    }
}
