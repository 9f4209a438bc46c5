// Docs as tests: every `sockfuzz` command shown in a code block of README.md and docs/*.md runs
// with the built binary, in order, from a scratch directory (so files it writes land there),
// within a time bound, and exits as the docs say: 0 unless the line's comment says `exit N`.
// What cannot run here is listed in `DocCommand.skipped`, each with the reason.

import Foundation
import Glibc
import Testing
import TestSupport

/// One command line from a doc's code block.
struct DocCommand: Sendable, CustomStringConvertible {
    var doc: String
    var line: Int
    /// As written, without a leading `$ ` prompt and without its trailing comment.
    var text: String
    /// The status the doc states for it (`# ... exit 1`), else 0.
    var expectedStatus: Int32

    var description: String { "\(doc):\(line): \(text)" }

    /// Aimed at redis (`127.0.0.1:6379`): run against a redis-server the test starts, where installed.
    var needsRedis: Bool { text.contains(":6379") }

    /// Commands the docs show that this test does not run, and why: most are run by the test the
    /// reason names (`Suite.function`), which `coveringTestsExist` finds in Tests/, so a name
    /// cannot rot. A key that no doc shows any more fails `skipListIsCurrent`, so the list
    /// cannot hide a command by going stale.
    static let skipped: [String: String] = [
        "sockfuzz proxy --listen 127.0.0.1:7379 --upstream 127.0.0.1:6379 --toxic \"latency latency=100ms\"":
            "runs until Ctrl-C; ProxyCommandTests.commandLineToxic runs it (port 0, latency 400ms) in front of redis-server and checks the delay and the counters",
        #"sockfuzz proxy --listen 127.0.0.1:7379 --upstream 127.0.0.1:6379 --framing resp --toxic 'drop nth=2 match=^\+OK'"#:
            "runs until Ctrl-C; ProxyCommandTests.respReplyDropped drops the second +OK of redis-server through a RESP proxy (the scenario form) and watches the retry",
        "sockfuzz proxy --listen 127.0.0.1:7379 --upstream 127.0.0.1:6379 --framing resp --record session.scn --mask 'lru_clock:[0-9]+'":
            "runs until Ctrl-C; ProxyCommandTests.recordAndReplay records a redis-server session, replays it, aims it at an echo server (it fails) and seeds the fuzzer with it",
        "sockfuzz proxy --api 127.0.0.1:8474":
            "runs until Ctrl-C, on toxiproxy's fixed port; ProxyCommandTests.toxiproxyClientDrivesTheAPI runs it on port 0 and drives it with toxiproxy-python",
        "swift run sockfuzz fuzz --mode all --runs 40 --seed 1":
            "the correct server fuzzed in every mode: FaultDetectionTests.noFalseAlarms (in-process, each mode) and TLSFuzzTests.noFalseAlarms (this binary, --mode all)",
        "swift run sockfuzz fuzz --mode epoll --fault edge-single-read --seed 1 --timeout 1s":
            "FuzzCommandTests.findingIsWrittenAndReplays runs this command (with --out and a small shrink budget) and replays its file; FaultDetectionTests.findsAndShrinks proves the shrink",
        "swift run sockfuzz run scenarios/*.scn --mode all --junit out.xml":
            "every example in every mode: ScenarioReplayTests.examplePasses (in-process, each file and mode) and RunCommandTests.junitRun (this binary, --mode all with --junit)",
        "swift run -c release sockfuzz bench --quick --only proxy":
            "section 7 of `bench --quick`, which this suite runs (DocsAsTests.docCommands); BenchTests check its cells and goals",
        "swift run -c release sockfuzz bench --quick --only tls":
            "section 6 of `bench --quick`, which this suite runs (DocsAsTests.docCommands); BenchTests check its cells' parsing",
        "swift run sockfuzz run fuzz-failures/fuzz-epoll-seed1-run0.scn":
            "replays the file of the command above; FuzzCommandTests.findingIsWrittenAndReplays replays it",
        "swift run sockfuzz":
            "the interactive console; InteractiveTests drive it through a pseudo-terminal",
        "swift run sockfuzz run /tmp/s.scn":
            "replays the file the console transcript above it saves; InteractiveTests pin save and replay",
        "sockfuzz < session.scn":
            "session.scn stands for any scenario piped to the console; PipedTests pin piped input",
        "swift run -c release sockfuzz bench":
            "the full bench takes about 10 minutes; its --quick and --only forms run here",
        "taskset -c 1 sockfuzz load --target 127.0.0.1:P --connections 100 --depth 16 --duration 4s &":
            "a profiling recipe: P stands for the port of a server run under callgrind beside it",
        "sockfuzz serve --mode epoll --port 7000 &":
            "one line of a multi-line script (a background server, four load shares, a merge); SegmentedLoadTests run it at small scale",
        "sockfuzz merge share-*.json --json merged.json --html merged.html":
            "merges the shares the script around it writes; SegmentedLoadTests run the merge",
        "for i in 0 1 2; do sockfuzz fuzz --runs 12 --connections 4 --segment $i/3 --json fuzz-$i.json & done; wait":
            "a background loop (the harness runs one command at a time); SegmentedLoadTests.fuzzShares runs three fuzz shares through the binary and merges them",
        "sockfuzz merge fuzz-0.json fuzz-1.json fuzz-2.json":
            "merges the fuzz shares the loop above writes",
        "sockfuzz merge share-*.json --html merged.html":
            "merges shares copied from load hosts over ssh",
        "sockfuzz load --target $REDIS_ADDR --request 'PING\\r\\n' --framing resp --expect '^\\+PONG' --connections 50 --depth 16 --duration 2s":
            "aimed at $REDIS_ADDR; RequestLoadTests.guide runs the guide's load commands against a redis-server it starts",
        "sockfuzz load --target $REDIS_ADDR --request-file requests.txt --framing resp --expect '^(\\+OK|\\$1\\r\\nv|\\$-1)\\r\\n$' --connections 8 --depth 4 --duration 2s":
            "aimed at $REDIS_ADDR; RequestLoadTests.guide runs it against a redis-server it starts",
        "REDIS_ADDR=127.0.0.1:6379 sockfuzz run redis.scn":
            "runs the guide's redis.scn block; ServerGuideTests write it out and run it against a redis-server they start",
        "REDIS_ADDR=127.0.0.1:6379 sockfuzz run redis.scn -v":
            "the same with -v; ServerGuideTests run the guide's redis.scn",
        "sockfuzz serve --tls --mode epoll --port 8443":
            "a foreground TLS server for openssl s_client; TLSServeTests run it (port 0) with s_client against it",
        "sockfuzz serve --tls --cert cert.pem --key key.pem --port 8443":
            "the same with the PEM files of the `openssl req` line above it; TLSServeTests make them and run it with a verifying s_client",
        "sockfuzz load --target 127.0.0.1:8443 --tls --ca cert.pem --sni localhost --connect-only --connections 100":
            "aimed at the foreground serve --tls --cert line above it; TLSLoadTests.verification runs these options (--ca, --sni localhost) against serve with PEM files it makes",
        "sockfuzz --target 127.0.0.1:6379":
            "starts the console of the transcript below it, typed at a prompt (with nothing piped it checks nothing, exit 2); ReplyTests.redisConsole pipes those lines to the console at a redis-server it starts",
        "MEMCACHED_ADDR=127.0.0.1:11211 sockfuzz run memcached.scn":
            "runs the guide's memcached.scn block; ThirdPartyGuideTests.memcached writes it out and runs it against a memcached it starts",
        "sockfuzz load --target $MEMCACHED_ADDR --request-file memcached.txt --framing 'delimiter:END\\r\\n' --expect '^(VALUE greeting 0 5\\r\\nhello\\r\\n(VALUE b 0 3\\r\\nxyz\\r\\n)?)?END\\r\\n$' --connections 8 --depth 4 --duration 2s":
            "aimed at $MEMCACHED_ADDR; ThirdPartyGuideTests.memcached runs it against a memcached it starts",
        "sockfuzz fuzz --oracle replies --target $REDIS_ADDR --request-file requests.txt --framing resp --runs 20":
            "aimed at $REDIS_ADDR; ThirdPartyGuideTests.redis runs it against a redis-server it starts",
        "sockfuzz fuzz --oracle replies --target $MEMCACHED_ADDR --request-file memcached.txt --framing 'delimiter:END\\r\\n' --runs 20":
            "aimed at $MEMCACHED_ADDR; ThirdPartyGuideTests.memcached runs it against a memcached it starts",
        "sockfuzz fuzz --oracle replies --target $NGINX_ADDR --request 'GET /index.html HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n' --framing http1 --mask 'Date: [^\\r]*' --runs 20":
            "aimed at $NGINX_ADDR; ThirdPartyGuideTests.nginx runs it against an nginx it starts",
        "sockfuzz fuzz --spawn 'redis-server --port {port} --save \"\" --appendonly no' --request-file requests.txt --framing resp --duration 2m":
            "a two-minute campaign; ContentFuzzCommandTests.realServersQuiet runs it (shorter; two minutes in the long run) against redis-server",
        "sockfuzz fuzz --spawn './myserver --port {port}' --request-file reqs.txt --framing resp":
            "./myserver stands for the reader's server; ContentFuzzCommandTests.plantedBug runs this command against the planted-bug servers",
        "NGINX_ADDR=127.0.0.1:8080 sockfuzz run nginx.scn":
            "runs the guide's nginx.scn block; ServerGuideTests write it out and run it against an nginx they start",
    ]

    /// The prefixes that name the tool in the docs, replaced by the built binary.
    static let launchers = ["swift run -c release sockfuzz", "swift run sockfuzz", "sockfuzz"]

    /// Every command line in `doc`'s code blocks that starts the tool (optionally after
    /// `taskset -c N`, `VAR=value` settings or `for ...; do`). In a block with `$ ` prompts only the prompted lines are commands (the
    /// rest is their output); console transcript lines (`sockfuzz> `) and tables never are.
    static func extract(from doc: String) throws -> [DocCommand] {
        let text = try String(contentsOfFile: Binary.packageRoot + "/" + doc, encoding: .utf8)
        var commands: [DocCommand] = []
        var block: [(number: Int, line: Substring)]?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.hasPrefix("```") else {
                block?.append((index + 1, line))
                continue
            }
            guard let finished = block else { block = []; continue }
            block = nil
            let prompted = finished.contains { $0.line.hasPrefix("$ ") }
            for (number, line) in finished where !prompted || line.hasPrefix("$ ") {
                let line = prompted ? String(line.dropFirst(2)) : String(line)
                let bare = line.replacing(#/^(taskset -c \d+ |([A-Z_]+=\S+ )+|for [^;]*; do )/#, with: "")
                guard launchers.contains(where: { bare == $0 || bare.hasPrefix($0 + " ") }) else { continue }
                let (command, comment) = splitComment(line)
                let status = comment.firstMatch(of: #/exits? (\d+)/#).flatMap { Int32($0.1) } ?? 0
                commands.append(DocCommand(doc: doc, line: number, text: command, expectedStatus: status))
            }
        }
        return commands
    }

    /// The command and its `# comment` (a `#` after a blank, outside quotes).
    static func splitComment(_ line: String) -> (String, String) {
        var quote: Character?
        var previous: Character = " "
        for i in line.indices {
            let c = line[i]
            if let open = quote {
                if c == open { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#" && previous == " " {
                return (line[..<i].trimmingCharacters(in: .whitespaces), String(line[line.index(after: i)...]))
            }
            previous = c
        }
        return (line.trimmingCharacters(in: .whitespaces), "")
    }

    /// The shell command with the launcher replaced by the built binary: exec'd when the line is
    /// one command (so a timeout's kill reaches it), in place inside a `for ...; do` loop.
    var shell: String {
        for launcher in Self.launchers where text == launcher || text.hasPrefix(launcher + " ") {
            return "exec '\(Binary.path)'" + text.dropFirst(launcher.count) + benchCellsShortened
        }
        var script = " " + text
        for launcher in Self.launchers { script = script.replacingOccurrences(of: " \(launcher) ", with: " '\(Binary.path)' ") }
        return String(script.dropFirst())
    }
}

extension DocCommand {
    /// A measuring `bench` runs here with its cells cut to 0.15 s after 0.05 s of warmup (the last
    /// value of an option wins): every section, server and client still runs and is parsed, in
    /// a third of the time. The figures themselves are the bench's job, in release builds.
    var benchCellsShortened: String {
        text.contains(" bench") && !text.contains("--from") ? " --duration 150ms --warmup 50ms" : ""
    }
}

/// The documents searched: README.md and every docs/*.md.
enum Docs {
    static let all: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: Binary.packageRoot + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()
}

/// A shell command run in a directory with a time bound; output to a file, so a chatty command
/// can never fill a pipe and stall.
enum ShellRun {
    struct Outcome {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Runs `command` with `sh -c` in `directory`, waiting off Swift Testing's threads.
    static func run(_ command: String, in directory: String, timeout: Double) async throws -> Outcome {
        try await OffThread.run { Result { try runBlocking(command, in: directory, timeout: timeout) } }.get()
    }

    private static func runBlocking(_ command: String, in directory: String, timeout: Double) throws -> Outcome {
        let outputFile = directory + "/.doc-command-output"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(command) > '\(outputFile)' 2>&1 < /dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory
        environment["SWIFT_BACKTRACE"] = "interactive=no"
        process.environment = environment
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)  // our own child, by pid
            finished.wait()
        }
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, output: output, timedOut: timedOut)
    }
}

@Suite("Docs as tests: every command shown in the docs runs as documented", .childSlot, .serialized)
struct DocsAsTests {
    /// A bound per command, so a hang cannot stall the suite. Measured on two busy cores with
    /// the debug build: the 200-run fuzz in three modes about 70 s, `bench --quick` about 40 s,
    /// the fuzzer finding, shrinking and writing edge-single-read about 150 s (issue 9 item 21).
    static let timeoutPerCommand = 240.0

    @Test("each doc's sockfuzz commands run in order and exit as documented", arguments: Docs.all)
    func docCommands(doc: String) async throws {
        let scratch = Scratch()
        // Relative paths in the docs (`scenarios/*.scn`, `docs/benchmarks.json`) resolve as in a
        // clone; whatever the commands write stays in the scratch directory.
        for folder in ["scenarios", "docs"] {
            symlink(Binary.packageRoot + "/" + folder, scratch.path + "/" + folder)
        }
        for command in try DocCommand.extract(from: doc) {
            if let reason = DocCommand.skipped[command.text] {
                print("skipped \(command): \(reason)")
                continue
            }
            if command.needsRedis { continue }  // docCommandsAgainstRedis runs it
            try await check(command, shell: command.shell, in: scratch)
        }
    }

    static let redisCommands: [DocCommand] = Docs.all.flatMap { (try? DocCommand.extract(from: $0)) ?? [] }
        .filter { $0.needsRedis && DocCommand.skipped[$0.text] == nil }

    @Test("each command the docs aim at redis runs against a redis-server started here",
          .enabled(if: !redisCommands.isEmpty, "no doc shows a command against redis that is not in the skipped list"),
          .needs(.redisServer))
    func docCommandsAgainstRedis() async throws {
        let redis = try SpawnedServer.start(try RequiredTool.redisServer.requirePath(), ["--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        defer { redis.stop() }
        let scratch = Scratch()
        for command in Self.redisCommands {
            try await check(command, shell: command.shell.replacingOccurrences(of: "127.0.0.1:6379", with: "\(redis.address)"), in: scratch)
        }
    }

    private func check(_ command: DocCommand, shell: String, in scratch: Scratch) async throws {
        let started = Date()
        let outcome = try await ShellRun.run(shell, in: scratch.path, timeout: Self.timeoutPerCommand)
        print("ran \(command): exit \(outcome.status) after \(Int(Date().timeIntervalSince(started))) s")
        let tail = outcome.output.split(separator: "\n").suffix(15).joined(separator: "\n")
        #expect(!outcome.timedOut, "\(command) did not finish within \(Int(Self.timeoutPerCommand)) s:\n\(tail)")
        #expect(outcome.status == command.expectedStatus,
                "\(command) exited \(outcome.status), the doc says \(command.expectedStatus):\n\(tail)")
    }

    @Test("every test a skip reason names exists (Suite.function in Tests/)")
    func coveringTestsExist() throws {
        let sources = try FileManager.default.subpathsOfDirectory(atPath: Binary.packageRoot + "/Tests")
            .filter { $0.hasSuffix(".swift") }
            .map { try String(contentsOfFile: Binary.packageRoot + "/Tests/" + $0, encoding: .utf8) }
            .joined(separator: "\n")
        for (command, reason) in DocCommand.skipped {
            for match in reason.matches(of: #/\b([A-Z]\w*Tests)\.(\w+)/#) {
                #expect(sources.contains("struct \(match.1)") && sources.contains("func \(match.2)("),
                        "'\(command)' names \(match.1).\(match.2), which is not in Tests/")
            }
        }
    }

    @Test("the docs show the commands this suite knows, and every skipped one is still shown")
    func skipListIsCurrent() throws {
        let shown = try Docs.all.flatMap { try DocCommand.extract(from: $0) }
        #expect(shown.contains { $0.doc == "README.md" && $0.text.contains("run scenarios/*.scn") }, "\(shown)")
        for (command, _) in DocCommand.skipped {
            #expect(shown.contains { $0.text == command }, "skipped but no longer in the docs: \(command)")
        }
    }
}
