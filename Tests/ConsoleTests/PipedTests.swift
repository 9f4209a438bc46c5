// The console with standard input from a file: no readline, no prompt, no escape sequences,
// and the exit status of `sockfuzz run` (0 passed, 1 an expectation failed, 2 a syntax error).

import Foundation
import Testing
import TestSupport

@Suite("Console with piped input", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct PipedTests {
    @Test("a session whose expectations hold exits 0 and prints no escape sequences")
    func passing() async throws {
        let scratch = Scratch()
        let run = try await Piped.run([], input: """
            connect web 4
            send web random 1..2KiB chunks=1..3
            expect web echo within 5s
            status
            help expect echo
            """, scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("web: 4/4 connected"))
        #expect(run.output.contains("ok: echo on 4 connection(s)"))
        #expect(run.output.contains("expect SEL echo [within DURATION]"))
        #expect(run.output.contains("PASSED <stdin> [epoll]"))
        #expect(!run.output.contains("\u{1B}"), "escape sequence in piped output:\n\(run.output)")
        #expect(!run.output.contains("sockfuzz> "))
    }

    @Test("a repeat block left open at the end of the input is the syntax error `run` gives for the file: exit 2")
    func openBlockAtTheEnd() async throws {
        let scratch = Scratch()
        let text = "server start epoll\nconnect a 1\nrepeat 3 {\nsend a \"x\"\nexpect a eof within 100ms\n"
        let piped = try await Piped.run([], input: text, scratch: scratch)
        #expect(piped.status == 2, "\(piped.output)")
        #expect(piped.output.contains("<stdin>:3:1: unclosed 'repeat' block: no '}' before the end of the file"), "\(piped.output)")
        // The same text as a file, through `run`: the same verdict and message.
        try text.write(toFile: scratch.path + "/open.scn", atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", scratch.path + "/open.scn"], input: "", scratch: scratch)
        #expect(run.status == 2 && run.output.contains("open.scn:3:1: unclosed 'repeat' block"), "\(run.output)")
    }

    /// `arguments` run through /usr/bin/env (each bounded by its own `timeout`), with `stdin` a
    /// file's bytes as they are: standard input or output that `Piped` cannot set up. Status and
    /// standard output with standard error.
    private func direct(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The same text piped to the console and run as a file: the two statuses.
    private func bothWays(_ text: String, _ arguments: [String] = [], _ scratch: Scratch) async throws -> (piped: PipedRun, run: PipedRun) {
        let piped = try await Piped.run(arguments, input: text, scratch: scratch)
        try text.write(toFile: scratch.path + "/same.scn", atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", scratch.path + "/same.scn"] + arguments, input: "", scratch: scratch)
        return (piped, run)
    }

    @Test("input that makes no check is no pass, piped as run: SKIPPED, exit 2; console commands alone claim nothing")
    func noCheckIsNoPass() async throws {
        let scratch = Scratch()
        let (piped, run) = try await bothWays("connect a 2\nsend a \"hi\"\n", [], scratch)
        #expect(piped.status == 2 && piped.output.contains("SKIPPED <stdin>") && piped.output.contains("nothing was checked"), "\(piped.output)")
        #expect(run.status == 2, "\(run.output)")
        let help = try await Piped.run([], input: "help\n", scratch: scratch)
        #expect(help.status == 0, "\(help.output)")
        let comment = try await Piped.run([], input: "# only a comment\n", scratch: scratch)
        #expect(comment.status == 2 && comment.output.contains("nothing was checked"), "\(comment.output)")
    }

    @Test("a byte after an echo that held fails it at the end of piped input, as run does")
    func extraByteAtTheEnd() async throws {
        let server = try MisbehavingServer(.lateByte(delayMillis: 300))
        defer { server.stop() }
        let scratch = Scratch()
        // The byte comes 300 ms after the echo (apart from it, however the machine stalls); the sleep leaves it two seconds.
        let (piped, run) = try await bothWays("connect a 1\nsend a \"x\"\nexpect a echo within 5s\nsleep 2s\n",
                                              ["--target", server.address], scratch)
        #expect(piped.status == 1 && piped.output.contains("unexpected byte after the echo completed"), "\(piped.output)")
        #expect(run.status == 1, "\(run.output)")
    }

    @Test("piped input does not wait for replies after a send: a reply's deadline holds as in run", .needs(.python3))
    func noWaitAfterSend() async throws {
        // A line server that answers each line 800 ms late.
        let code = "import socket,sys,threading,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            + "s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(16)\n"
            + "def h(c):\n while True:\n  d=c.recv(4096)\n  if not d: break\n  time.sleep(0.8)\n  c.sendall(d)\n"
            + "while True:\n c,_=s.accept()\n threading.Thread(target=h,args=(c,),daemon=True).start()\n"
        let server = try SpawnedServer.start("/usr/bin/env", ["python3", "-c", code, "{port}"])
        defer { server.stop() }
        let scratch = Scratch()
        let (piped, run) = try await bothWays("connect a 1 framing=line\nsend a \"A\\n\"\nexpect a reply \"A\\n\" within 300ms\n",
                                              ["--target", "\(server.address)"], scratch)
        #expect(piped.status == 1 && piped.output.contains("0 whole replies"), "\(piped.output)")
        #expect(run.status == 1, "\(run.output)")
    }

    @Test("output to a non-blocking pipe that fills is waited for, not dropped: the verdict line arrives", .needs(.python3))
    func nonBlockingStdout() async throws {
        let scratch = Scratch()
        let input = scratch.path + "/input.txt"
        // Sixty help screens (over 500 KB) fill the 64 KiB pipe long before the reader starts.
        try (String(repeating: "help\n", count: 60) + "connect a 1\nsend a \"x\"\nexpect a echo within 5s\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let script = """
            import os, subprocess, fcntl, termios, array, time, sys
            r, w = os.pipe()
            size = fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: a small pipe, full after a few lines
            fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
            p = subprocess.Popen([sys.argv[1]], stdin=open(sys.argv[2]), stdout=w, stderr=subprocess.DEVNULL)
            os.close(w)
            # Read only once the pipe is full, so the writer has met EAGAIN (waited on, not slept).
            deadline = time.time() + 30
            while time.time() < deadline:
                queued = array.array('i', [0])
                fcntl.ioctl(r, termios.FIONREAD, queued)
                if queued[0] >= size: break
                time.sleep(0.01)
            time.sleep(0.2)
            data = b''
            while True:
                d = os.read(r, 65536)
                if not d: break
                data += d
            print("status", p.wait(), "bytes", len(data))
            print(data[-400:].decode(errors='replace'))
            """
        let (_, output) = try direct(["timeout", "60", "python3", "-c", script, Binary.path, input])
        #expect(output.contains("status 0") && output.contains("PASSED <stdin>"), "\(output.suffix(600))")
    }

    @Test("a byte that is not UTF-8 in a piped command is the error run gives, at its column, not sent as U+FFFD")
    func notUTF8() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/latin1.txt"
        // Written as bytes (a String cannot hold 0xFF) and given as the console's standard input.
        try Data("connect a 1\nsend a \"A".utf8 + [0xFF] + Data("B\"\nexpect a echo within 1s\n".utf8)).write(to: URL(fileURLWithPath: file))
        let (status, output) = try direct(["timeout", "60", Binary.path], stdin: file)
        #expect(status == 2 && output.contains("<stdin>:2:10: byte 0xFF is not UTF-8"), "\(output)")
    }

    @Test("quit in piped input says the rest is not run; a closed standard input is the end of the input (nothing checked), not a wait")
    func quitAndClosedInput() async throws {
        let scratch = Scratch()
        let quit = try await Piped.run([], input: "connect a 1\nquit\nexpect a eof within 100ms\n", scratch: scratch)
        #expect(quit.output.contains("<stdin>:2: quit: the rest of the input is not run"), "\(quit.output)")
        // Last, it leaves nothing unrun, and says nothing of the kind.
        let last = try await Piped.run([], input: "connect a 1\nexpect a open\nquit\n", scratch: scratch)
        #expect(last.status == 0 && !last.output.contains("not run"), "\(last.output)")
        let (status, output) = try direct(["sh", "-c", "exec timeout 20 \"$0\" <&-", Binary.path])
        #expect(status == 2 && output.contains("0 commands") && output.contains("nothing was checked"), "status \(status): \(output)")
    }

    @Test("one failing expectation: exit 1, the failure printed with its location, nothing after it runs")
    func failing() async throws {
        let scratch = Scratch()
        let run = try await Piped.run([], input: """
            connect web 1
            send web "ping"
            expect web recv "pong" within 2s
            print "not reached"
            """, scratch: scratch)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("<stdin>:3:1: expect web recv \"pong\" within 2s failed"), "\(run.output)")
        #expect(run.output.contains("expected: web to receive"))
        #expect(run.output.contains("seen:"))
        #expect(!run.output.contains("not reached"))
        #expect(run.output.contains("FAILED <stdin>"))
    }

    @Test("a syntax error: exit 2 with <stdin>:line:column")
    func syntaxError() async throws {
        let scratch = Scratch()
        let run = try await Piped.run([], input: "connect web 2\nsend web \"unterminated\n", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("<stdin>:2:10: "), "\(run.output)")
    }

    @Test("`sockfuzz < file` and `sockfuzz run file` agree")
    func sameAsRun() async throws {
        let scratch = Scratch()
        let scenario = """
            seed 9
            server start select
            connect c 3
            send c "abc"
            expect c echo
            expect c connected == 2 within 200ms
            """
        let file = scratch.path + "/s.scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        let piped = try await Piped.run([], input: scenario, scratch: scratch)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(piped.status == 1 && run.status == 1, "piped:\n\(piped.output)\nrun:\n\(run.output)")
        #expect(piped.output.contains("<stdin>:6:1: expect c connected == 2 within 200ms failed (seed 9)"))
        #expect(run.output.contains("\(file):6:1: expect c connected == 2 within 200ms failed (seed 9)"))
    }

    @Test("status, server stats and server mode, and short results for quiet commands")
    func serverCommands() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["--mode", "select"], input: """
            connect web 3
            status
            server mode epoll
            status
            connect db 2
            expect server accepted == 2 within 5s
            server stats
            close web
            set timeout 2s
            """, scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("server: select on 127.0.0.1:"))
        #expect(run.output.contains("  web  3 connections: 3 open"))
        #expect(run.output.contains("server epoll listening on 127.0.0.1:"))
        #expect(run.output.contains("server: epoll on 127.0.0.1:"))
        #expect(run.output.contains("server counters (epoll):"))
        #expect(run.output.contains("accepted 2"))
        #expect(run.output.contains("closing 3 connections"))
        #expect(run.output.contains("expects without `within` now wait up to 2s"))
    }

    @Test("`run FILE` and `include FILE` replay a scenario inside the session; `save` keeps it portable")
    func runAndInclude() async throws {
        let scratch = Scratch()
        try "connect inc 2\nsend inc \"x\"\nexpect inc echo\n".write(toFile: scratch.path + "/part.scn", atomically: true, encoding: .utf8)
        let saved = scratch.path + "/saved.scn"
        let run = try await Piped.run([], input: """
            run \(scratch.path)/part.scn
            include \(scratch.path)/part.scn
            expect inc connected == 4
            save \(saved)
            """, scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("no failure"))
        let text = try String(contentsOfFile: saved, encoding: .utf8)
        #expect(text.contains("connect inc 2\nsend inc \"x\"\nexpect inc echo\ninclude \(scratch.path)/part.scn\n"), "\(text)")
        let replay = try await Piped.run(["run", saved], input: "", scratch: scratch)
        #expect(replay.status == 0, "\(replay.output)")
    }
}
