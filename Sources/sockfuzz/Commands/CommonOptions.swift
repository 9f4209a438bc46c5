// The options `run`, `fuzz` and `load` share, declared once: which server (`--mode`, `--target`),
// the reports (`--junit`, `--json`, checked writable before any traffic), and values read with
// the vocabulary's one parser (`--duration 30s`, `--size 4KiB`, `--rate 10k/s`).

import ArgumentParser
import Foundation
import ScenarioLanguage
import ScenarioRunner
import Syscalls

/// `--mode` and `--target`: the embedded server in one design (or all three), or a third-party one.
struct ServerChoiceOptions: ParsableArguments {
    @Option(help: "Embedded server design: busy, select, epoll, or all (each in turn).")
    var mode: ModeChoice?

    @Option(help: "A third-party server HOST:PORT instead of the embedded one.")
    var target: String?

    func validate() throws {
        if mode != nil && target != nil {
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
        mode?.modes ?? [fallback]
    }
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

    /// `50000`, `50000/s`, `10k/s`, `3/10s`: a bare number is per second.
    static func rate(_ text: String) throws -> Rate {
        let written = text.contains("/") ? text : text + "/s"
        do { return try ValueParser.rate(Substring(written)) } catch { throw ValidationError(error.message) }
    }
}
