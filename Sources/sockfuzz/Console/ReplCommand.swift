// `sockfuzz` with no subcommand (or `sockfuzz repl`): the interactive console. On a terminal it
// uses GNU readline; with standard input from a pipe or file it reads plain lines and exits like
// `sockfuzz run`: 0 every expectation held, 1 one failed, 2 a syntax error, 130 interrupted.

import ArgumentParser
import Foundation
import Reactor
import ScenarioRunner
import Syscalls

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "The interactive console (the default): type scenario commands one at a time.",
        discussion: """
        Starts the embedded echo server on a free loopback port (or works against --target) and \
        reads commands: the scenario language plus help, status, history, save FILE, run FILE \
        and quit. `help` lists them. With standard input not a terminal it reads the lines \
        without readline or prompt and stops at the first failure: 0 every expectation held, \
        1 one failed, 2 a syntax error, 130 interrupted.
        """,
        aliases: ["console"]
    )

    @Option(help: "I/O design of the embedded echo server: busy, select, epoll or uring.")
    var mode: BackendKind?

    @Option(help: "Work against a third-party server HOST:PORT instead of the embedded one.")
    var target: String?

    @Option(help: ArgumentHelp("History file. Default: $SOCKFUZZ_HISTORY, else ~/.sockfuzz_history; empty: keep none.",
                               valueName: "path"))
    var history: String?

    @Option(help: "Seed of random payloads (default: a fresh one, shown in the banner and saved by `save`).")
    var seed: UInt64?

    func validate() throws {
        if mode != nil && target != nil {
            throw ValidationError("--mode and --target exclude each other: --mode picks the embedded server's design")
        }
    }

    func run() throws {
        ConsoleSignals.install()
        var settings = ConsoleSettings(mode: mode ?? .epoll, seed: seed ?? UInt64.random(in: 1...999_999),
                                       historyPath: historyPath, interactive: Terminal.isTTY(0))
        if let target {
            settings.target = try Targets.reachableTarget(target, option: "--target")
        }
        let console: Console
        do {
            console = try Console(settings: settings)
        } catch {
            Output.error("sockfuzz: cannot start the client engine: \(error)")
            throw ExitCode(ConsoleExit.usage)
        }
        let status = console.run()
        if status != 0 { throw ExitCode(status) }
    }

    /// --history, else $SOCKFUZZ_HISTORY, else ~/.sockfuzz_history; empty means none.
    private var historyPath: String? {
        let chosen = history ?? ProcessInfo.processInfo.environment["SOCKFUZZ_HISTORY"]
            ?? Terminal.home.map { $0 + "/.sockfuzz_history" }
        guard let chosen, !chosen.isEmpty else { return nil }
        return Terminal.expandTilde(chosen)
    }
}
