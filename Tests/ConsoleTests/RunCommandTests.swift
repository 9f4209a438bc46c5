// `sockfuzz run` and `serve` as a user meets them, through the built binary: the exit status
// (0 held, 1 a check failed or the server misbehaved, 2 usage or syntax only, 130 interrupted),
// the message, and the JUnit / JSON reports, which say what ran against what, once each.

import Foundation
import Glibc
import Testing
import TestSupport
import Syscalls

@Suite("sockfuzz run and serve: exit codes, messages, reports", .childSlot, .serialized)
struct RunCommandTests {
    private func write(_ text: String, _ name: String, in scratch: Scratch) throws -> String {
        let path = scratch.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func writeBytes(_ bytes: [UInt8], _ name: String, in scratch: Scratch) throws -> String {
        let path = scratch.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private let echoScenario = "connect c 1\nsend c \"hello\"\nexpect c echo within 2s\n"

    /// `echoScenario` run with `options` against a loopback server that behaves as `behaviour`
    /// says; the run and the server's address.
    private func runEchoScenario(against behaviour: Misbehaviour, options: [String] = [],
                                 scratch: Scratch = Scratch()) async throws -> (run: PipedRun, address: String) {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let file = try write(echoScenario, "echo.scn", in: scratch)
        let run = try await Piped.run(["run", file] + options + ["--target", server.address], input: "", scratch: scratch)
        return (run, server.address)
    }

    // MARK: item 15: serve on an address it cannot use

    @Test("serve on a port in use exits 2 naming the address and the errno")
    func servePortInUse() async throws {
        let occupant = try MisbehavingServer(.echo)
        defer { occupant.stop() }
        let run = try await Piped.run(["serve", "--port", "\(occupant.port)"], input: "", scratch: Scratch(), timeout: 20)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("cannot listen on 127.0.0.1:\(occupant.port)"), "\(run.output)")
        #expect(run.output.contains("Address already in use (errno 98)"), "\(run.output)")
    }

    @Test("serve on an address of no interface here exits 2 naming it and the errno")
    func serveForeignHost() async throws {
        // 10.9.9.9 is not an address of this machine: bind fails, nothing is sent anywhere.
        let run = try await Piped.run(["serve", "--host", "10.9.9.9"], input: "", scratch: Scratch(), timeout: 20)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("cannot listen on 10.9.9.9:0"), "\(run.output)")
        #expect(run.output.contains("(errno 99)"), "\(run.output)")
    }

    // MARK: item 16: report paths checked before traffic, reports written whatever the verdict

    @Test("--fault with files whose traffic all goes to a target line exits 2 before any traffic: nothing would meet the fault")
    func faultNoScenarioMeets() async throws {
        let scratch = Scratch()
        // A listener that never accepts: the kernel completes the connect a target line checks.
        let listener = try Sys.socket(family: AF_INET)
        defer { Sys.close(listener) }
        try Sys.bind(listener, SocketAddress.loopback(port: 0))
        try Sys.listen(listener, backlog: 8)
        let file = scratch.path + "/away.scn"
        try "target \(try Sys.localAddress(listener))\nconnect c 1\nsend c \"x\"\nexpect c echo\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", "--fault", "corrupt-echo", file], input: "", scratch: scratch)
        #expect(run.status == 2 && run.output.contains("--fault corrupt-echo is injected into the embedded server, and no scenario given starts it"),
                "\(run.output)")
        #expect(!run.output.contains("PASSED") && !run.output.contains("FAILED"), "nothing ran: \(run.output)")
    }

    @Test("files that make no check (a comment, an empty repeat, sends without an expect) exit 2: nothing was checked")
    func noCheckExits2() async throws {
        let scratch = Scratch()
        var files: [String] = []
        for (name, text) in [("comment", "# nothing here\n"), ("repeat0", "connect web 1\nrepeat 0 {\n  send web \"x\"\n  expect web echo\n}\n"),
                             ("sends", "connect web 1\nsend web \"x\"\n")] {
            let file = scratch.path + "/\(name).scn"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        let run = try await Piped.run(["run"] + files, input: "", scratch: scratch)
        #expect(run.status == 2 && run.output.contains("nothing was checked: no check was made"), "\(run.output)")
        // One check among them is a run that checked something.
        try "connect web 1\nsend web \"x\"\nexpect web echo within 5s\n".write(toFile: files[2], atomically: true, encoding: .utf8)
        let checked = try await Piped.run(["run"] + files, input: "", scratch: scratch)
        #expect(checked.status == 0, "\(checked.output)")
    }

    @Test("an unwritable, directory or missing-folder report path exits 2 before any traffic",
          arguments: [("--junit", "/proc/x.xml", "cannot create a file in /proc"),
                      ("--json", "SCRATCH", "is a directory"),
                      ("--junit", "SCRATCH/no/such/folder/x.xml", "no such directory: SCRATCH/no/such/folder")])
    func unwritableReportPath(option: String, path: String, reason: String) async throws {
        let scratch = Scratch()
        let file = try write(echoScenario, "echo.scn", in: scratch)
        let path = path.replacingOccurrences(of: "SCRATCH", with: scratch.path)
        let run = try await Piped.run(["run", file, option, path], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        let reason = reason.replacingOccurrences(of: "SCRATCH", with: scratch.path)
        #expect(run.output.contains("\(option) \(path): \(reason)"), "\(run.output)")
        #expect(!run.output.contains("NSCocoaErrorDomain"))
        #expect(!run.output.contains("PASSED") && !run.output.contains("passed"), "nothing ran: \(run.output)")
    }

    @Test("README's first command, at small scale: example files under --mode all, one JUnit case per file and design")
    func junitRun() async throws {
        let scratch = Scratch()
        let files = ["half-close.scn", "connect-burst.scn"].map { Binary.packageRoot + "/scenarios/" + $0 }
        let run = try await Piped.run(["run"] + files + ["--mode", "all", "--junit", scratch.path + "/out.xml"], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        let xml = try read(scratch.path + "/out.xml")
        // connect-burst.scn pins its design (`server mode`): it runs once, the other once per design.
        #expect(xml.contains(#"tests="5" failures="0""#), "\(xml)")
        for mode in ["busy", "select", "epoll", "uring"] { #expect(xml.contains("half-close.scn [\(mode)]"), "\(xml)") }
        #expect(run.output.contains("pins the design: run once"), "\(run.output)")
    }

    @Test("a failing run still writes both reports, and exits 1")
    func reportsOnFailure() async throws {
        let scratch = Scratch()
        // corrupt-echo flips byte 100 of each echo: send more than that.
        let file = try write("connect c 1\nsend c random 1KiB\nexpect c echo within 2s\n", "echo.scn", in: scratch)
        let run = try await Piped.run(["run", file, "--fault", "corrupt-echo", "--junit", scratch.path + "/r.xml",
                                 "--json", scratch.path + "/r.json"], input: "", scratch: scratch)
        #expect(run.status == 1, "\(run.output)")
        let xml = try read(scratch.path + "/r.xml")
        #expect(xml.contains(#"tests="1" failures="1""#), "\(xml)")
        #expect(xml.contains("echo.scn:3:1"), "\(xml)")
        let json = try read(scratch.path + "/r.json")
        #expect(json.contains(#""passed" : false"#), "\(json)")
        #expect(json.contains(#""status" : "failed""#), "\(json)")
    }

    @Test("Ctrl-C mid-run exits 130 and writes both reports marked interrupted")
    func reportsOnInterrupt() async throws {
        let scratch = Scratch()
        let file = try write("connect c 1\nsend c \"x\"\nexpect c echo\nprint \"waiting now\"\nsleep 60s\n",
                             "long.scn", in: scratch)
        let other = try write(echoScenario, "after.scn", in: scratch)
        let running = try RunningSockfuzz(["run", file, other, "--junit", scratch.path + "/r.xml", "--json", scratch.path + "/r.json"],
                                          scratch: scratch)
        #expect(await running.waitForOutput(containing: "waiting now", timeout: 30), "\(running.output)")
        running.signal(SIGINT)
        let run = await running.finish(timeout: 30)
        #expect(run.status == 130, "\(run.output)")
        #expect(run.output.contains("INTERRUPTED") || run.output.contains("interrupted"), "\(run.output)")
        let xml = try read(scratch.path + "/r.xml")
        #expect(xml.contains(#"<skipped message="interrupted"/>"#), "\(xml)")
        #expect(xml.contains(#"<skipped message="not run: interrupted"/>"#), "the file never started is listed: \(xml)")
        let json = try read(scratch.path + "/r.json")
        #expect(json.contains(#""interrupted" : true"#), "\(json)")
    }

    // MARK: item 18: what ran against what, once each

    @Test("against --target the report says target HOST:PORT, once")
    func targetNamedInReport() async throws {
        let scratch = Scratch()
        let (run, address) = try await runEchoScenario(against: .echo, options: ["--junit", scratch.path + "/r.xml"], scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("echo.scn [target \(address)]"), "\(run.output)")
        let xml = try read(scratch.path + "/r.xml")
        #expect(xml.components(separatedBy: "<testcase ").count == 2, "\(xml)")
        #expect(xml.contains("echo.scn [target \(address)]"), "\(xml)")
        #expect(!xml.contains("[epoll]"), "\(xml)")
    }

    @Test("--mode with --target is a usage error: nothing runs three times against one server")
    func modeWithTarget() async throws {
        let run = try await runEchoScenario(against: .echo, options: ["--mode", "all"]).run
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--mode and --target exclude each other"), "\(run.output)")
        #expect(run.output.contains("Usage: sockfuzz run"), "\(run.output)")
    }

    @Test("--mode all runs a file that pins its mode once, under the mode it really ran in, and says so")
    func pinnedModeRunsOnce() async throws {
        let scratch = Scratch()
        let pinned = try write("server mode select\n" + echoScenario, "pinned.scn", in: scratch)
        let plain = try write(echoScenario, "plain.scn", in: scratch)
        let run = try await Piped.run(["run", pinned, plain, "--mode", "all", "--junit", scratch.path + "/r.xml"],
                                input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("`server mode select` at line 1 pins the design: run once"), "\(run.output)")
        let xml = try read(scratch.path + "/r.xml")
        let names = xml.split(separator: "\n").filter { $0.contains("<testcase ") }
            .compactMap { $0.split(separator: "name=\"").last?.split(separator: "\"").first.map(String.init) }
        #expect(names == ["\(pinned) [select]", "\(plain) [busy]", "\(plain) [select]", "\(plain) [epoll]", "\(plain) [uring]"], "\(xml)")
    }

    @Test("a syntax error in one of several files: exit 2, nothing runs, the report shows the error and what was not run")
    func syntaxErrorInOneFile() async throws {
        let scratch = Scratch()
        let good = try write(echoScenario, "good.scn", in: scratch)
        let bad = try write("connect c 1\nsend c \"x\"\nexpect c echo within\n", "bad.scn", in: scratch)
        let run = try await Piped.run(["run", good, bad, "--junit", scratch.path + "/r.xml", "--json", scratch.path + "/r.json"],
                                input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("\(bad):3:"), "\(run.output)")
        #expect(!run.output.contains("PASSED"), "nothing ran: \(run.output)")
        let xml = try read(scratch.path + "/r.xml")
        #expect(xml.contains(#"tests="2" failures="0" errors="1" skipped="1""#), "\(xml)")
        #expect(xml.contains(#"<error message="\#(bad):3:"#), "\(xml)")
        #expect(xml.contains("not run: an error in \(bad) stops the whole run"), "\(xml)")
        #expect(try read(scratch.path + "/r.json").contains(#""status" : "errored""#))
    }

    // MARK: item 12: a server that resets is a failed check, not a usage error

    @Test("a target that resets every connection fails the run (exit 1) naming the reset")
    func resettingTargetFails() async throws {
        let run = try await runEchoScenario(against: .resetsEveryConnection).run
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("reset"), "\(run.output)")
        #expect(!run.output.contains("cannot connect"), "\(run.output)")
    }

    @Test("the twin: the same scenario against a correct echo target passes")
    func echoingTargetPasses() async throws {
        let run = try await runEchoScenario(against: .echo).run
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("1 passed, 0 failed"), "\(run.output)")
    }

    // MARK: item 20: bytes in comments, suggestions, usage lines

    @Test("bytes that are not UTF-8 in a comment are fine")
    func latin1InComment() async throws {
        let scratch = Scratch()
        let file = try writeBytes(Array("# caf".utf8) + [0xE9] + Array("\n".utf8) + Array(echoScenario.utf8)
                                  + Array("# \"".utf8) + [0xFF, 0xFE, 0x0A], "latin1.scn", in: scratch)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("1 passed, 0 failed"), "\(run.output)")
    }

    @Test("a byte that is not UTF-8 in a string is an error at its line and column")
    func latin1InString() async throws {
        let scratch = Scratch()
        let file = try writeBytes(Array("connect c 1\nsend c \"caf".utf8) + [0xE9] + Array("\" # x\n".utf8), "latin1.scn", in: scratch)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("\(file):2:12: byte 0xE9 is not UTF-8"), "\(run.output)")
        #expect(!run.output.contains("cannot read scenario file"), "\(run.output)")
    }

    @Test("a swapped pair of letters suggests the command with those letters: sned -> send")
    func transpositionSuggestion() async throws {
        let run = try await Piped.run([], input: "sned c \"x\"\n", scratch: Scratch(), timeout: 30)
        #expect(run.output.contains("unknown command 'sned'"), "\(run.output)")
        #expect(run.output.contains("did you mean `send`?"), "\(run.output)")
    }

    @Test("a usage error prints that subcommand's usage line",
          arguments: ["run", "fuzz", "load", "serve", "bench"])
    func subcommandUsageLine(subcommand: String) async throws {
        let arguments = subcommand == "run" ? ["run", "x.scn", "--no-such-option"] : [subcommand, "--no-such-option"]
        let run = try await Piped.run(arguments, input: "", scratch: Scratch(), timeout: 30)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("Unknown option '--no-such-option'"), "\(run.output)")
        #expect(run.output.contains("Usage: sockfuzz \(subcommand) "), "\(run.output)")
        #expect(!run.output.contains("<subcommand>"), "\(run.output)")
    }

    @Test("an option error found while running (not while parsing) still prints the subcommand's usage")
    func usageLineFromRun() async throws {
        let run = try await Piped.run(["fuzz", "--weights", "nope", "--runs", "1"], input: "", scratch: Scratch(), timeout: 30)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--weights: bad weight 'nope'"), "\(run.output)")
        #expect(run.output.contains("Usage: sockfuzz fuzz <options>  (`sockfuzz fuzz --help` lists them)"), "\(run.output)")
    }

    @Test("an unknown subcommand is a usage error naming it and the nearest command, not the console's usage",
          arguments: [("runn", "did you mean `run`?"), ("nope", "the commands: repl, serve, run, fuzz, load, merge, bench")])
    func unknownSubcommand(word: String, says: String) async throws {
        let run = try await Piped.run([word, "x.scn"], input: "", scratch: Scratch(), timeout: 30)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("sockfuzz: unknown command '\(word)'"), "\(run.output)")
        #expect(run.output.contains(says), "\(run.output)")
        #expect(!run.output.contains("sockfuzz repl"), "not the console's usage: \(run.output)")
    }

    @Test("a run whose every check was skipped (a server check against --target) checked nothing: exit 2; one real check decides")
    func everyCheckSkippedIsNoPass() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let file = scratch.path + "/server-only.scn"
        try "connect a 1\nexpect server active == 0\n".write(toFile: file, atomically: true, encoding: .utf8)
        let skipped = try await Piped.run(["run", "--target", server.address, file], input: "", scratch: scratch, timeout: 30)
        #expect(skipped.status == 2, "\(skipped.output)")
        #expect(skipped.output.contains("nothing was checked: all 1 check was skipped"), "\(skipped.output)")
        // The twin: one check that ran (and held) beside the skipped one makes it a pass.
        try "connect a 1\nexpect server active == 0\nexpect a open\n".write(toFile: file, atomically: true, encoding: .utf8)
        let checked = try await Piped.run(["run", "--target", server.address, file], input: "", scratch: scratch, timeout: 30)
        #expect(checked.status == 0, "\(checked.output)")
    }

    @Test("a run where every scenario is skipped checked nothing: exit 2 saying so; one that ran beside it decides the exit")
    func everythingSkippedIsNoPass() async throws {
        let scratch = Scratch()
        let epollOnly = scratch.path + "/epoll-only.scn"
        try "server start epoll fault=edge-single-read\nconnect a 1\nexpect a open\n".write(toFile: epollOnly, atomically: true, encoding: .utf8)
        let skipped = try await Piped.run(["run", epollOnly, "--mode", "select"], input: "", scratch: scratch, timeout: 30)
        #expect(skipped.status == 2, "\(skipped.output)")
        #expect(skipped.output.contains("fault edge-single-read needs mode epoll, not select"), "\(skipped.output)")
        #expect(skipped.output.contains("nothing ran: every scenario was skipped"), "\(skipped.output)")
        // The twin: under --mode all the epoll run happens and passes; the two skips do not fail it.
        let all = try await Piped.run(["run", epollOnly, "--mode", "all"], input: "", scratch: scratch, timeout: 30)
        #expect(all.status == 0, "\(all.output)")
        #expect(!all.output.contains("nothing ran"), "\(all.output)")
    }
}
