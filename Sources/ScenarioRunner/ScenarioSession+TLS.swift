// TLS in a session: the context a connect uses (its own `tls` options, else `--tls`), and the
// checks `expect SEL tls ok|failed`, `tls-version OP V` and `alpn "NAME"`, each waiting for the
// handshake to end and failing at once when it can no longer hold.

import ClientEngine
import ScenarioLanguage
import TLSClient

extension ScenarioSession {
    /// The OpenSSL context for a connect: nil for clear. A CA path written in the scenario is
    /// relative to its file; one from `--tls --ca` to the working directory.
    func tlsContext(_ statement: Statement, _ written: ClientTLS?) throws(RunStop) -> TLSClientContext? {
        guard var settings = written ?? configuration.tls else { return nil }
        if written != nil, case .authorities(file: let path) = settings.verification {
            settings.verification = .authorities(file: ScenarioPaths.resolve(path, relativeTo: statement.location.file))
        }
        do {
            return try engine.tlsContext(settings)
        } catch {
            throw fail(statement, expected: "usable TLS client settings", seen: error.description, how: .other)
        }
    }

    func expectTLS(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ check: TLSCheck, _ within: ScenarioDuration?) throws(RunStop) {
        guard let ids = try judged(statement, selector) else { return }
        try expectEach(statement, ids, within, expected: "\(selector) \(Self.phrase(check))") {
            Self.judge($0, check)
        } late: {
            let waiting = ids.map { engine.view($0) }.filter { if case .notYet = Self.judge($0, check) { return true } else { return false } }
            return "\(waiting.count) of \(ids.count) still handshaking"
        }
        emit(.passed("\(ids.count) connection(s): \(check)"))
    }

    static func judge(_ v: ConnectionView, _ check: TLSCheck) -> Judgement {
        if v.phase == .pending || v.phase == .connecting { return .notYet }
        guard let tls = v.tls else { return .never(.other, "not a TLS connection (connect ... tls, or run --tls)") }
        if case .handshake(ok: false) = check {
            if tls.failure != nil && !tls.handshakeDone { return .holds }
            return tls.handshakeDone ? .never(.other, "the handshake succeeded (TLS \(tls.version?.rawValue ?? "?"))") : .never(how(v), describe(v))
        }
        guard tls.handshakeDone else {
            return .never(tls.failure == nil ? how(v) : .other, tls.failure.map { "TLS handshake failed: \($0)" } ?? "no TLS handshake (\(describe(v)))")
        }
        switch check {
        case .handshake:
            return .holds
        case .version(let op, let version):
            guard let seen = tls.version else { return .never(.wrongValue, "an unknown TLS version") }
            return op.holds(seen, version) ? .holds : .never(.wrongValue, "TLS \(seen.rawValue)")
        case .alpn(let name):
            guard let seen = tls.alpn else { return .never(.wrongValue, "no ALPN protocol negotiated") }
            return seen == name ? .holds : .never(.wrongValue, "ALPN \"\(seen)\"")
        }
    }

    static func phrase(_ check: TLSCheck) -> String {
        switch check {
        case .handshake(let ok): return ok ? "to complete a TLS handshake" : "to fail its TLS handshake"
        case .version(let op, let version): return "to negotiate TLS \(op.rawValue) \(version.rawValue)"
        case .alpn(let name): return "to negotiate ALPN \"\(name)\""
        }
    }

    /// Why a connection failed: OpenSSL's reason for a TLS failure, else the errno.
    static func reason(_ v: ConnectionView) -> String {
        if let failure = v.tls?.failure { return "TLS: \(failure)" }
        return Format.errno(v.lastError)
    }

    /// What ended the peer's sending: EOF, close_notify, or a truncation.
    static func eofKind(_ v: ConnectionView) -> String {
        guard let tls = v.tls else { return "EOF" }
        return tls.truncated ? "close without close_notify (truncation)" : "close_notify"
    }
}
