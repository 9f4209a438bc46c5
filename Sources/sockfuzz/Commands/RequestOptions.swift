// `sockfuzz load`'s request/response options: what to send (`--request`, `--request-file`), how
// replies are cut (`--framing`) and what each must match (`--expect`), read into a RequestLoadPlan.
// A request file has one request a line, written with the language's escapes (`PING\r\n`), an
// optional weight in front (`3*GET k\r\n`), blank lines and `#` comments skipped.

import ArgumentParser
import Foundation
import Framing
import Load
import ScenarioLanguage

/// What to send and how replies are cut: shared by `load --request` and `fuzz --request`.
struct RequestStreamOptions: ParsableArguments {
    @Option(help: "The request to send, with escapes (e.g. 'PING\\r\\n'); replies are framed with --framing.")
    var request: String?

    @Option(help: "Several requests, one a line with escapes, `N*` in front to weight one; sent round robin.")
    var requestFile: String?

    @Option(help: "How replies are cut: line, resp, http1, delimiter:TEXT, length:4be[+] (needed with --request).")
    var framing: String?

    var given: Bool { request != nil || requestFile != nil }

    /// The checks both commands make once a request is given.
    func validateRequests() throws {
        if request != nil && requestFile != nil { throw ValidationError("give --request or --request-file, not both") }
        let framing = try parsedFraming()
        if framing == .raw { throw ValidationError("--framing raw cannot tell one reply from the next: pick line, resp, http1, delimiter: or length:") }
        _ = try mix()
    }

    func parsedFraming() throws -> Framing {
        guard let framing else { throw ValidationError("--request needs --framing (line, resp, http1, delimiter:TEXT or length:4be)") }
        do { return try Framing(parsing: framing) } catch { throw ValidationError("--framing: \(error)") }
    }

    /// What makes two results runs of the same requests (for `merge`).
    var identity: [String] {
        var words: [String] = []
        if let request { words.append("--request \(request)") }
        if let requestFile { words.append("--request-file \(requestFile)") }
        if let framing { words.append("--framing \(framing)") }
        return words
    }

    /// The requests to send, with their weights.
    func mix() throws -> RequestMix {
        if let request {
            let bytes: [UInt8]
            do { bytes = try ArgumentValues.escapedBytes(request) } catch { throw ValidationError("--request: \(error.message)") }
            guard !bytes.isEmpty else { throw ValidationError("--request: an empty request gets no reply") }
            return RequestMix([bytes])
        }
        guard let requestFile else { throw ValidationError("no request given") }
        let text: String
        do { text = try String(contentsOfFile: requestFile, encoding: .utf8) } catch {
            throw ValidationError("--request-file \(requestFile): cannot read it (\(error.localizedDescription))")
        }
        do {
            let list = try RequestFile.parse(text)
            return RequestMix(list.requests, weights: list.weights)
        } catch { throw ValidationError("--request-file \(requestFile):\(error.line): \(error.message)") }
    }
}

struct RequestOptions: ParsableArguments {
    @OptionGroup var stream: RequestStreamOptions

    @Option(help: "A regular expression every reply (the whole frame) must match, e.g. '^\\+PONG'.")
    var expect: String?

    var request: String? { stream.request }
    var requestFile: String? { stream.requestFile }
    var framing: String? { stream.framing }

    var isRequestLoad: Bool { stream.given }

    func validate() throws {
        guard isRequestLoad else {
            if framing != nil || expect != nil { throw ValidationError("--framing and --expect go with --request or --request-file") }
            return
        }
        try stream.validateRequests()
        if let expect {
            if (try? NSRegularExpression(pattern: expect)) == nil { throw ValidationError("--expect '\(expect)' is not a valid regular expression") }
        }
    }

    func parsedFraming() throws -> Framing { try stream.parsedFraming() }

    func mix() throws -> RequestMix { try stream.mix() }

    /// What makes two load results runs of the same test.
    var identity: [String] { stream.identity + (expect.map { ["--expect \($0)"] } ?? []) }
}
