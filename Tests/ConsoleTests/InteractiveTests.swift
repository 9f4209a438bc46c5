// The console on a terminal, driven through a pseudo-terminal the way a person types:
// completion with Tab, recall with the up arrow, Ctrl-C during a long command and at the
// prompt, history kept across runs, and a saved session that `sockfuzz run` replays.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Console on a terminal", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct InteractiveTests {
    /// A console with its own HOME and history file, past its banner.
    private func console(_ scratch: Scratch, _ extra: [String] = []) throws -> PseudoTerminal {
        let terminal = try PseudoTerminal(["--history", scratch.historyFile] + extra, scratch: scratch)
        #expect(terminal.expect("echo server (epoll) listening on 127.0.0.1:"))
        #expect(terminal.expect("`help` lists the commands"))
        #expect(terminal.expect("sockfuzz> "))
        return terminal
    }

    @Test("Tab completes a command name, and a group name after it")
    func tabCompletion() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("conn" + PseudoTerminal.tab)
        #expect(terminal.expect("connect "))
        terminal.type("alpha 3\r")
        #expect(terminal.expect("alpha: 3/3 connected in"))
        #expect(terminal.expect("sockfuzz> "))
        // The group that now exists completes after `send`; the payload keyword after it.
        terminal.type("send al" + PseudoTerminal.tab)
        #expect(terminal.expect("send alpha "))
        terminal.type("ra" + PseudoTerminal.tab)
        #expect(terminal.expect("random "))
        terminal.type("16\r")
        #expect(terminal.expect("queued 48 B on 3 connections"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)
    }

    @Test("the up arrow recalls the previous line")
    func upArrow() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("connect web 2\r")
        #expect(terminal.expect("web: 2/2 connected"))
        terminal.type("send web \"hi\"\r")
        #expect(terminal.expect("queued 4 B on 2 connections"))
        #expect(terminal.expect("sockfuzz> "))
        terminal.type(PseudoTerminal.up)
        #expect(terminal.expect("send web \"hi\""))
        terminal.type("\r")
        #expect(terminal.expect("queued 4 B on 2 connections"))
        terminal.type("expect web echo\r")
        #expect(terminal.expect("ok: echo on 2 connection(s), 8 B intact"))
        // Control keys wait for the prompt: typed ahead while a command runs, the terminal (not
        // readline) would take them.
        #expect(terminal.expect("sockfuzz> "))
        terminal.type(PseudoTerminal.ctrlD)
        #expect(terminal.expect("closed 2 connections"))
        #expect(terminal.waitForExit() == 0)
    }

    @Test("Ctrl-C during a long command returns to the prompt and the session goes on")
    func interruptLongCommand() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("connect web 5\r")
        #expect(terminal.expect("web: 5/5 connected"))
        terminal.type("sleep 30s\r")
        // The live status line shows up while the command runs.
        #expect(terminal.expect("sleep 30s | server: 5 open", within: 10))
        let pressed = Date()
        terminal.type(PseudoTerminal.ctrlC)
        #expect(terminal.expect("interrupted after", within: 10))
        #expect(Date().timeIntervalSince(pressed) < 5)
        #expect(terminal.expect("5 connections open"))
        #expect(terminal.expect("sockfuzz> "))
        terminal.type("expect web connected == 5\r")
        #expect(terminal.expect("ok: 5 connected on web"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)
    }

    @Test("the status line counts replies while a long command runs")
    func statusLineCountsReplies() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("connect c 1 framing=line\r")
        #expect(terminal.expect("c: 1/1 connected"))
        terminal.type("send c \"one\\ntwo\\n\"\r")
        #expect(terminal.expect(#"c[0] reply: "two\n""#))
        terminal.type("sleep 30s\r")
        #expect(terminal.expect("sleep 30s | server: 1 open", within: 10))
        #expect(terminal.expect("| 2 replies | Ctrl-C interrupts", within: 10))
        terminal.type(PseudoTerminal.ctrlC)
        #expect(terminal.expect("interrupted after", within: 10))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)
    }

    @Test("Ctrl-C at the prompt drops the line being typed")
    func interruptAtPrompt() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("connect dropped 5")
        #expect(terminal.expect("connect dropped 5"))
        terminal.type(PseudoTerminal.ctrlC)
        #expect(terminal.expect("^C"))
        #expect(terminal.expect("sockfuzz> "))
        terminal.type("status\r")
        #expect(terminal.expect("groups: none yet"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)
    }

    @Test("an error prints line:column: message and the session goes on")
    func errorsDoNotEndTheSession() throws {
        let scratch = Scratch()
        let terminal = try console(scratch)
        terminal.type("conect web 2\r")
        #expect(terminal.expect("1:1: "))
        #expect(terminal.expect("did you mean `connect`?"))
        terminal.type("connect web two\r")
        #expect(terminal.expect("2:13: "))
        terminal.type("connect web 2\r")
        #expect(terminal.expect("web: 2/2 connected"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)
    }

    @Test("history persists across runs and `history` lists it")
    func historyAcrossRuns() throws {
        let scratch = Scratch()
        do {
            let first = try console(scratch)
            first.type("print \"from the first run\"\r")
            #expect(first.expect("\nfrom the first run"))
            first.type("quit\r")
            #expect(first.waitForExit() == 0)
        }
        let history = try String(contentsOfFile: scratch.historyFile, encoding: .utf8)
        #expect(history.contains("print \"from the first run\""))
        let second = try console(scratch)
        second.type(PseudoTerminal.up + PseudoTerminal.up + "\r")  // past `quit` to the `print`
        #expect(second.expect("\nfrom the first run"))
        second.type("history\r")
        #expect(second.expect("print \"from the first run\""))
        second.type("quit\r")
        #expect(second.waitForExit() == 0)
    }

    @Test("`save` writes a scenario that `sockfuzz run` replays and passes")
    func saveThenRun() async throws {
        let scratch = Scratch()
        let saved = scratch.path + "/session.scn"
        let terminal = try console(scratch, ["--seed", "4242"])
        terminal.type("conn" + PseudoTerminal.tab + "a 100\r")
        #expect(terminal.expect("a: 100/100 connected"))
        terminal.type("send a random 1..1KiB\r")
        #expect(terminal.expect("queued"))
        terminal.type("expect a echo\r")
        #expect(terminal.expect("ok: echo on 100 connection(s)"))
        #expect(terminal.expect("sockfuzz> "))
        terminal.type(PseudoTerminal.up + "\r")
        #expect(terminal.expect("ok: echo on 100 connection(s)"))
        terminal.type("status\r")
        #expect(terminal.expect("a  100 connections: 100 open"))
        terminal.type("save \(saved)\r")
        #expect(terminal.expect("saved 4 commands"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() == 0)

        let text = try String(contentsOfFile: saved, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == ["seed 4242", "server start epoll", "connect a 100", "send a random 1..1KiB",
                          "expect a echo", "expect a echo"])
        let replay = try await Piped.run(["run", saved], input: "", scratch: scratch)
        #expect(replay.status == 0, "sockfuzz run \(saved):\n\(replay.output)")
        #expect(replay.output.contains("PASSED"))
    }

    @Test("`save FILE without-failed` leaves out the checks that failed, so the file passes; plain `save` keeps them")
    func saveWithoutFailed() async throws {
        let scratch = Scratch()
        let terminal = try console(scratch, ["--seed", "7"])
        terminal.type("connect a 1\r")
        #expect(terminal.expect("a: 1/1 connected"))
        terminal.type("send a \"hi\"\r")
        #expect(terminal.expect("queued"))
        terminal.type("expect a recv \"no\" within 200ms\r")
        #expect(terminal.expect("failed"))
        terminal.type("expect a recv \"hi\"\r")
        #expect(terminal.expect("ok:"))
        terminal.type("save \(scratch.path)/kept.scn\r")
        #expect(terminal.expect("saved 4 commands"))
        terminal.type("save \(scratch.path)/passing.scn without-failed\r")
        #expect(terminal.expect("saved 3 commands") && terminal.expect("1 failed check left out"))
        terminal.type("quit\r")
        #expect(terminal.waitForExit() != nil)

        let kept = try await Piped.run(["run", scratch.path + "/kept.scn"], input: "", scratch: scratch)
        #expect(kept.status == 1, "the failure replays: \(kept.output)")
        let passing = try await Piped.run(["run", scratch.path + "/passing.scn"], input: "", scratch: scratch)
        #expect(passing.status == 0, "\(passing.output)")
        let text = try String(contentsOfFile: scratch.path + "/passing.scn", encoding: .utf8)
        #expect(!text.contains("\"no\""), "\(text)")
    }

    @Test("a reply that comes while the prompt waits prints at once, above it, timed when it came")
    func replyWhileTyping() throws {
        // The reply ends 2.5 s after the send, past the 2 s a send waits for its replies.
        let server = try MisbehavingServer(.lateByte(delayMillis: 2500))
        defer { server.stop() }
        let scratch = Scratch()
        let terminal = try PseudoTerminal(["--history", scratch.historyFile, "--target", server.address], scratch: scratch)
        #expect(terminal.expect("sockfuzz> "))
        terminal.type("connect c 1 framing=delimiter:!\r")
        #expect(terminal.expect("c: 1/1 connected"))
        terminal.type("send c \"x\"\r")
        #expect(terminal.expect("sockfuzz> "))
        terminal.type("exp")  // typing, not yet a command
        #expect(terminal.expect("c[0] reply: \"x!\"", within: 10), "printed while the prompt waited")
        // The half-typed line is still there: finish it.
        terminal.type("ect c p99 < 2900ms\r")
        #expect(terminal.expect("ok: p99 = "), "timed at its arrival, not when this command ran")
        terminal.type("quit\r")
        #expect(terminal.waitForExit() != nil)
    }
}
