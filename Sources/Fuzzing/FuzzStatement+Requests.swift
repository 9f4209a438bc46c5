// The `fuzz` statement's request/response oracle: `request="..."` or `request-file=FILE` (read
// now, relative to the scenario's directory), `framing=`, `mask=`; the references are fetched
// from the server being fuzzed before any run (over TLS when the fuzz is), as `sockfuzz fuzz
// --request` does.

import Framing
import Foundation
import ScenarioLanguage
import ScenarioRunner

extension Fuzzer {
    /// Sets `config` up for the request oracle, references fetched; a problem fails `statement`.
    static func useRequests(_ requests: FuzzRequests, _ config: inout FuzzConfiguration, _ session: ScenarioSession,
                            _ statement: Statement) throws(RunStop) {
        let mix = try requestMix(requests, session, statement)
        config.oracle = .requests(RequestOracle(mix, framing: requests.framing, masks: requests.mask.map { [$0] } ?? []))
        config.generator.requestBytes = mix.requests.map(\.count).max()
        if let problem = fetchReferences(&config) {
            throw session.fail(statement, expected: "one whole reply to each request alone on a fresh connection (the references)",
                               seen: problem, how: .other)
        }
        if case .requests(let oracle) = config.oracle {
            if let problem = oracle.maskedWholly {
                throw session.fail(statement, expected: "masks that leave part of each reference reply to check", seen: problem, how: .other)
            }
            for mask in oracle.masksMatchingNothing {
                session.emit(.message("\(statement.location): warning: mask=\"\(mask)\" matches nothing in any reference reply, so it masks nothing"))
            }
        }
    }

    static func requestMix(_ requests: FuzzRequests, _ session: ScenarioSession, _ statement: Statement) throws(RunStop) -> RequestMix {
        let mix: RequestMix
        switch requests.source {
        case .bytes(let bytes):
            mix = RequestMix([bytes])
        case .file(let written):
            let path = ScenarioPaths.resolve(written, relativeTo: statement.location.file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw session.fail(statement, expected: "a readable request file", seen: "cannot read \(path)", how: .other)
            }
            do {
                let list = try RequestFile.parse(text)
                mix = RequestMix(list.requests, weights: list.weights)
            } catch {
                throw session.fail(statement, expected: "a request file: one request a line, with escapes",
                                   seen: "\(path):\(error.line): \(error.message)", how: .other)
            }
        }
        if case .http1 = requests.framing, mix.hasHEAD {
            throw session.fail(statement, expected: "GET requests (HEAD cannot be fuzzed yet: its pieces are sent separately)",
                               seen: "a HEAD request among those given", how: .other)
        }
        return mix
    }
}
