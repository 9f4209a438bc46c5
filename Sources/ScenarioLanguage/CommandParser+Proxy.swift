// `proxy NAME ...` and `toxic NAME ...`: the impairment proxy in a scenario or the console.

import Foundation
import Vocabulary

extension CommandParser {
    mutating func parseProxy() throws(ScenarioError) -> Command {
        let name = try proxyName("proxy")
        guard let next = cursor.peek(), next.kind == .word, CommandTable.spec(named: "proxy off")!.keywords.contains(next.text) else {
            let options = try cursor.options(for: "proxy")
            let listen = try options.value("listen") { (t, l) throws(ScenarioError) in try Self.address(t, "listen", at: l) }
            let upstream = try options.value("upstream") { (t, l) throws(ScenarioError) in try Self.address(t, "upstream", at: l) }
            let mode = try options.value("mode") { (t, l) throws(ScenarioError) -> ServerMode in
                guard let mode = ServerMode(rawValue: String(t)), mode != .uring else {
                    throw ScenarioError("unknown mode \(ValueParser.got(t)): expected busy, select or epoll", at: l)
                }
                return mode
            }
            let framing = try options.value("framing", CommandParser.framing)
            if framing == .raw {
                throw ScenarioError("framing=raw cannot tell one request or reply from the next: pick line, resp, http1, delimiter: or length:",
                                    at: options.location(of: "framing")!)
            }
            return .proxy(name: name, .start(listen: listen, upstream: upstream, mode: mode, framing: framing))
        }
        _ = cursor.next()
        switch next.text {
        case "off": return .proxy(name: name, .off)
        case "on": return .proxy(name: name, .on)
        case "stop": return .proxy(name: name, .stop)
        default: return .proxy(name: name, .stats)
        }
    }

    mutating func parseToxic() throws(ScenarioError) -> Command {
        let name = try proxyName("toxic")
        let first = try cursor.word("a toxic kind (\(ToxicType.allCases.map(\.rawValue).joined(separator: ", "))) or 'remove' after the proxy's name")
        if first.text == "remove" {
            let toxic = try cursor.word("the name of the toxic to remove")
            return .toxic(proxy: name, .remove(name: toxic.text))
        }
        var words = [first]
        while let token = cursor.next() {
            guard token.kind == .word else {
                throw ScenarioError("expected ATTRIBUTE=VALUE, upstream or downstream, got \(token.display)", at: token.location)
            }
            words.append(token)
        }
        let toxic: Toxic
        do {
            toxic = try ToxicText.parse(words.map { Substring($0.text) })
        } catch {
            // Point at the word the message names, else at the kind.
            let named = words.dropFirst().first { error.message.hasPrefix("\($0.text)") || error.message.contains("'\($0.text)'") }
            throw ScenarioError(error.message, at: (named ?? first).location)
        }
        if let match = toxic.match, (try? NSRegularExpression(pattern: match)) == nil {
            let word = words.first { $0.text.hasPrefix("match=") }!
            throw ScenarioError("invalid regular expression in \(word.text)", at: word.location)
        }
        return .toxic(proxy: name, .add(toxic))
    }

    private mutating func proxyName(_ command: String) throws(ScenarioError) -> String {
        let token = try cursor.word("a proxy name after '\(command)'")
        guard token.text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), token.text.first?.isLetter == true else {
            throw ScenarioError("expected a proxy name (a letter, then letters, digits, - or _), got '\(token.text)'", at: token.location)
        }
        return token.text
    }

    private static func address(_ text: Substring, _ key: String, at location: SourceLocation) throws(ScenarioError) -> String {
        let (host, port) = try SelectorParsing.hostPort(Token(kind: .word, text: String(text), location: location, width: text.count))
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
