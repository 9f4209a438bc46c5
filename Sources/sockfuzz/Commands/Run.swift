// `sockfuzz run FILE...`: replay scenario files against the embedded server in one mode or all
// three, or against a third-party target; print a summary, write JUnit XML and JSON reports.
// Exit status: 0 every expectation held, 1 one failed, 2 usage or syntax error.

import ArgumentParser
import EmbeddedServer
import Fuzzing
import Foundation
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
    case busy, select, epoll, all

    var modes: [BackendKind?] {
        switch self {
        case .busy: return [.busy]
        case .select: return [.select]
        case .epoll: return [.epoll]
        case .all: return [.busy, .select, .epoll]
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay scenario files and report.",
        discussion: """
        Each scenario runs against a fresh embedded echo server (in the mode its `server start` \
        names, or --mode), or against --target. Exit status: 0 all expectations held, 1 one \
        failed, 2 a usage or syntax error.
        """
    )

    @Argument(help: "Scenario files (.scn).", completion: .file(extensions: ["scn"]))
    var files: [String]

    @OptionGroup var server: ServerChoiceOptions

    @Option(help: "Replay with this seed instead of the files' own.")
    var seed: UInt64?

    @Option(help: "Inject a server fault into every embedded server (to see a check catch it).")
    var fault: ServerFault?

    @OptionGroup var reports: ReportOptions

    @Flag(name: .shortAndLong, help: "Print every command's result, not only failures and summaries.")
    var verbose = false

    func validate() throws {
        if fault != nil && server.target != nil {
            throw ValidationError("--fault applies to the embedded server, not --target")
        }
    }

    func run() throws {
        let programs = try parseAll()
        var address: SocketAddress?
        if let target = server.target {
            address = try Targets.reachable(target, option: "--target")
        }
        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }

        var results: [ScenarioResult] = []
        let modes: [BackendKind?] = address != nil ? [nil] : server.modes(default: nil)
        outer: for (file, program) in programs {
            for m in modes {
                if interrupt.isSet { break outer }
                let config = RunConfiguration(mode: m, target: address, seed: seed, fault: fault)
                let result = ScenarioRunner.run(program, name: file, configuration: config, interrupt: interrupt,
                                                fuzzHandler: Fuzzer.statement,
                                                onEvent: { event in RunPrinter.print(event, verbose: verbose) })
                RunPrinter.summary(result)
                results.append(result)
            }
        }
        RunPrinter.total(results)
        try writeReports(results)
        if interrupt.isSet { throw ExitCode(130) }
        if !results.allSatisfy(\.passed) { throw ExitCode(1) }
    }

    /// Every file parsed and checked before anything runs: a syntax error costs no traffic.
    private func parseAll() throws -> [(String, Program)] {
        var programs: [(String, Program)] = []
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else {
                Output.error("sockfuzz run: no such scenario file: \(file)")
                throw ExitCode(2)
            }
            do {
                let limits = CheckLimits.forThisProcess(embeddedServer: server.target == nil)
                programs.append((file, try ScenarioParser.parseFile(file, limits: limits)))
            } catch {
                Output.error(error.description)
                throw ExitCode(2)
            }
        }
        return programs
    }

    private func writeReports(_ results: [ScenarioResult]) throws {
        if let junit = reports.junit {
            try Reports.write(JUnitReport.render(results), to: junit, option: "--junit")
        }
        if let json = reports.json {
            let data = try JSONReport.render(results, version: Sockfuzz.version)
            try Reports.write(String(decoding: data, as: UTF8.self), to: json, option: "--json")
        }
    }
}
