// The options `run`, `fuzz` and `load` share, declared once: which server (`--mode`, `--target`),
// the reports (`--junit`, `--json`, checked writable before any traffic), and values read with
// the vocabulary's one parser (`--duration 30s`, `--size 4KiB`, `--rate 10k/s`).

import ArgumentParser
import Framing
import Foundation
import ScenarioLanguage
import ScenarioRunner
import Syscalls

/// `--mode` and `--target`: the embedded server in one design (or all three), or a third-party one.
struct ServerChoiceOptions: ParsableArguments {
    @Option(help: "Embedded server design: busy, select, epoll, uring (io_uring), or all (each in turn).")
    var mode: ModeChoice?

    @Option(help: "A third-party server HOST:PORT instead of the embedded one.")
    var target: String?

    func validate() throws { try Self.validate(mode: mode != nil, target: target) }

    /// --mode and --target exclude each other, and a target must be an address.
    static func validate(mode: Bool, target: String?) throws {
        if mode && target != nil {
            throw ValidationError("--mode and --target exclude each other: --mode picks the embedded server's design")
        }
        if let target {
            do { _ = try SocketAddress.parse(target) } catch {
                throw ValidationError("--target \(target): \(error.description)")
            }
        }
    }

    /// The designs to run in, nil standing for "as the file says" (`default`) when none is given.
    func modes(default fallback: BackendKind?) -> [BackendKind?] {
        if let note = mode?.allNote { Output.line(note) }
        return mode?.modes ?? [fallback]
    }
}

/// `--mode` and `--target` for a command that measures one server (`load`): one design, no `all`.
struct OneServerOptions: ParsableArguments {
    @Option(help: "Embedded server design: busy, select, epoll or uring (default epoll).")
    var mode: BackendKind?

    @Option(help: "A third-party server HOST:PORT instead of the embedded one.")
    var target: String?

    func validate() throws { try ServerChoiceOptions.validate(mode: mode != nil, target: target) }
}

/// `--junit` and `--json`: where the reports go. Both are checked before anything runs.
struct ReportOptions: ParsableArguments {
    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Write a JSON report here.")
    var json: String?

    func validate() throws {
        for (option, path) in [("--junit", junit), ("--json", json)] {
            if let path, let problem = Reports.unwritable(path) { throw ValidationError("\(option) \(path): \(problem)") }
        }
    }
}

/// Option values with the language's syntax; a bad one is a usage error naming the option.
enum ValueArguments {
    static func duration(_ text: String) throws -> ScenarioDuration {
        do { return try ValueParser.duration(Substring(text)) } catch { throw ValidationError(error.message) }
    }

    static func positiveDuration(_ text: String) throws -> ScenarioDuration {
        let d = try duration(text)
        guard d > .zero else { throw ValidationError("must be above zero") }
        return d
    }

    static func size(_ text: String) throws -> ByteSize {
        do { return try ValueParser.size(Substring(text)) } catch { throw ValidationError(error.message) }
    }

    static func count(_ text: String) throws -> Int {
        do { return try ValueParser.count(Substring(text)) } catch { throw ValidationError(error.message) }
    }

    static func segment(_ text: String) throws -> ExecutionSegment {
        do { return try ExecutionSegment(parsing: Substring(text)) } catch { throw ValidationError(error.message) }
    }

    static func startTime(_ text: String) throws -> StartTime {
        do { return try StartTime(parsing: Substring(text)) } catch { throw ValidationError(error.message) }
    }

    static func sources(_ text: String) throws -> SourceAddresses {
        do { return try SourceAddresses(parsing: Substring(text)) } catch { throw ValidationError(error.message) }
    }

    /// `50000`, `50000/s`, `10k/s`, `3/10s`: a bare count is per second, as in the language.
    static func rate(_ text: String) throws -> Rate {
        do { return try ValueParser.rate(Substring(text)) } catch { throw ValidationError(error.message) }
    }

    /// Decimal or `0x` hex, the full 64-bit range, as the language's `seed`.
    static func seed(_ text: String) throws -> UInt64 {
        do { return try ValueParser.seed(Substring(text)) } catch { throw ValidationError(error.message) }
    }

    /// A port to listen on, 0 picking a free one.
    /// A framing that can tell one message from the next (not raw).
    static func framing(_ text: String) throws -> Framing {
        let framing: Framing
        do { framing = try Framing(parsing: text) } catch { throw ValidationError("\(error)") }
        if framing == .raw { throw ValidationError("raw cannot tell one message from the next: pick line, resp, http1, delimiter: or length:") }
        return framing
    }

    static func listenPort(_ text: String) throws -> Int {
        do { return try ValueParser.port(Substring(text), range: 0...65535) } catch { throw ValidationError(error.message) }
    }

    /// A count above zero (`100`, `10k`, `1M`).
    static func positiveCount(_ text: String) throws -> Int {
        let n = try count(text)
        guard n > 0 else { throw ValidationError("must be above zero") }
        return n
    }
}
