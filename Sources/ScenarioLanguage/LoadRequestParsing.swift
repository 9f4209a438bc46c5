// The request/response options of `load`: `request="..."` (the language's string escapes),
// `framing=F` (Framing's text forms; without it the group's framing, checked when it runs) and
// `expect="regex"` (verbatim, as `match` takes it).
// Echo load's `size=` and these exclude each other.

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
        let request = try StringLiteral.bytes(of: try quoted(options, "request", at: requestLocation))
        guard !request.isEmpty else { throw ScenarioError("request= is empty: an empty request gets no reply", at: requestLocation) }
        var framing: Framing?
        if let framingText = options.values["framing"] {
            do { framing = try Framing(parsing: String(framingText.text)) } catch {
                throw ScenarioError("\(error)", at: framingText.location)
            }
            guard framing != .raw else {
                throw ScenarioError("framing=raw cannot tell one reply from the next: pick line, resp, http1, delimiter: or length:",
                                    at: framingText.location)
            }
        }
        var expect: String?
        if let at = options.location(of: "expect") {
            let token = try quoted(options, "expect", at: at)
            guard (try? NSRegularExpression(pattern: token.text)) != nil else {
                throw ScenarioError("invalid regular expression \(token.display)", at: at)
            }
            expect = token.text
        }
        return LoadRequests(request: request, framing: framing, expect: expect)
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
