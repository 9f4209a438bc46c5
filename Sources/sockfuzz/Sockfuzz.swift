// The command tree. This executable alone talks to the terminal; the libraries never print.

import ArgumentParser
import Glibc
import Syscalls

@main
struct Sockfuzz: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sockfuzz",
        abstract: "A scriptable TCP test client and fuzzer with an embedded echo server.",
        discussion: """
        Runs an embedded echo server in any of three single-process designs (busy-poll, \
        select, epoll) and drives it, or a third-party server, with scripted and random traffic.
        """,
        version: version,
        subcommands: [Repl.self, Serve.self, Run.self, Fuzz.self, LoadCommand.self, Merge.self, BenchCommand.self, ProxyCommand.self],
        defaultSubcommand: Repl.self
    )

    static func main() {
        // A standard descriptor started closed would be taken by the next socket or pipe opened
        // (the console's signal pipe waited on itself as "stdin"; output would go into a socket).
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 { _ = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) }
        // Thousands of sockets need more than the default 1024 descriptors.
        Sys.raiseOpenFileLimit()
        Sys.ignoreSIGPIPE()
        if let word = unknownSubcommand(CommandLine.arguments.dropFirst().first) {
            // Without this the default subcommand (the console) would take the word and
            // complain about an unexpected argument with the console's usage.
            let names = configuration.subcommands.map { $0._commandName }
            let hint = Suggestion.closest(to: word, among: names).map { " (did you mean `\($0)`?)" } ?? ""
            Output.error("sockfuzz: unknown command '\(word)'\(hint); the commands: \(names.joined(separator: ", "))")
            Output.error("Usage: sockfuzz <command> [options]  (`sockfuzz --help` lists them)")
            Glibc.exit(2)
        }
        var parsed: ParsableCommand?
        do {
            var command = try parseAsRoot()
            parsed = command
            try command.run()
        } catch {
            // A bad option or argument is a usage error: exit status 2, as for a scenario's
            // syntax error (argument-parser's own choice would be 64), one line naming it.
            if exitCode(for: error).rawValue == 64 {
                Output.error("sockfuzz: " + message(for: error))
                Output.error(usageLine(for: error, command: parsed.map { type(of: $0) }))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }

    /// The first argument when it is a word that names no subcommand (an option, or nothing,
    /// starts the console).
    static func unknownSubcommand(_ first: String?) -> String? {
        guard let first, !first.hasPrefix("-") else { return nil }
        let known = configuration.subcommands.map { $0._commandName } + ["help"]
        return known.contains(first) ? nil : first
    }

    /// The usage line of the subcommand the error belongs to. An error thrown from `run()`
    /// reaches us outside the parser, which would print the root's `sockfuzz <subcommand>`;
    /// a command with many options is shortened to `<options>`, so point at its help.
    static func usageLine(for error: Error, command: ParsableCommand.Type?) -> String {
        var usage: String
        if let command {
            usage = "Usage: " + usageString(for: command)
        } else {
            usage = fullMessage(for: error).split(separator: "\n").first { $0.hasPrefix("Usage:") }.map(String.init) ?? ""
        }
        if usage.hasSuffix(" <options>") {
            let command = usage.split(separator: " ").dropFirst().dropLast().joined(separator: " ")
            usage += "  (`\(command) --help` lists them)"
        }
        return usage
    }
}
