// What a session remembers about its connections' reads, beyond what the client engine keeps:
// who ended each connection and where (for `send` failures), which `expect echo` moved each read
// cursor past everything sent (bytes after it are extra), which framing errors a check reported
// already, and the values `reply match ... capture=NAME` captured for `${NAME}`.

import Glibc
import ScenarioLanguage

struct ReadState {
    /// Who ended a connection (`closed by us`, `reset by us`, `half-closed by us`) and where.
    typealias Ending = (verb: String, at: SourceLocation)

    private var endings: [Int: Ending] = [:]
    private var echoVerifiers: [Int: Statement] = [:]
    private var framingErrorsReported: Set<Int> = []
    /// Values captured by `expect ... reply match ... capture=NAME`.
    private(set) var captures: [String: [UInt8]] = [:]

    // MARK: endings

    mutating func ended(_ id: Int, by verb: String, at location: SourceLocation) {
        endings[id] = (verb, location)
    }

    /// How the script ended connection `id`, nil when it did not.
    func ending(of id: Int) -> Ending? { endings[id] }

    // MARK: verified echoes

    mutating func echoVerified(_ id: Int, by statement: Statement) {
        echoVerifiers[id] = statement
    }

    /// The `expect echo` that last verified connection `id`: bytes arriving after it are extra.
    func echoVerifier(of id: Int) -> Statement? { echoVerifiers[id] }

    /// Every connection an echo check verified, in id order (the order the run's end checks them).
    var echoVerified: [(id: Int, by: Statement)] {
        echoVerifiers.keys.sorted().map { ($0, echoVerifiers[$0]!) }
    }

    // MARK: framing errors

    /// Whether a check has reported connection `id`'s framing error: it fails one check, once.
    func framingErrorReported(_ id: Int) -> Bool { framingErrorsReported.contains(id) }

    mutating func reportFramingError(_ id: Int) {
        framingErrorsReported.insert(id)
    }

    // MARK: captures

    mutating func capture(_ name: String, _ value: [UInt8]) {
        captures[name] = value
    }

    /// The value of `${name}`: a capture, else the environment variable (as the checker's
    /// `CheckState.knows` looks it up), nil when neither exists.
    func referenceValue(_ name: String) -> [UInt8]? {
        captures[name] ?? getenv(name).map { Array(String(cString: $0).utf8) }
    }
}
