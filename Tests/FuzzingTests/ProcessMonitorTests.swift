// The process monitor behind `--spawn`: the server under test started in its own process group
// on a free port and ready once it accepts, its end (status or signal) and last stderr lines
// recorded, restarted after a crash or a hang, and ended whole by its process group id.

import Foundation
import Glibc
import ProcessMonitor
import Syscalls
import Testing
import TestSupport

@Suite("process monitor", .serialized, .sharesDescriptorTable)
struct ProcessMonitorTests {
    /// A one-connection server: answers nothing, and on the first bytes it reads writes a line to
    /// stderr and aborts (SIGABRT), or, with `hang`, stops answering and sleeps.
    static func server(_ then: String) -> String {
        let script = """
            import socket, sys, os, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16)
            while True:
                c, _ = s.accept(); d = c.recv(100)
                if d.startswith(b'die'): sys.stderr.write('dying on %r\\n' % d); sys.stderr.flush(); os.abort()
                if d.startswith(b'hang'): time.sleep(1000)
                c.sendall(b'ok\\n'); c.close()
            """
        return "python3 -c \"\(script)\" {port}"
    }

    /// What the server answers `bytes` with before it closes (nothing within `timeout`: empty).
    func send(_ bytes: String, to address: SocketAddress, timeout: Double = 5) -> [UInt8] {
        guard let client = try? LoopbackClient(connectingTo: address) else { return [] }
        try? client.send(Array(bytes.utf8))
        return client.receiveToEnd(timeout: timeout).bytes
    }

    @Test("a spawned server runs on the free port {port} names, and a crash is recorded with its signal and stderr, then restarted", .needs(.python3))
    func crashIsRecordedAndRestarted() throws {
        let monitor = try ProcessMonitor(try SpawnCommand(Self.server("crash")))
        defer { monitor.stop() }
        let first = monitor.address
        #expect(send("hello", to: first) == Array("ok\n".utf8))
        #expect(monitor.exit() == nil)
        _ = send("die now", to: first)
        let ended = monitor.current.waitForEnd(nanos: 10_000_000_000)
        #expect(ended == .killed(signal: SIGABRT), "\(String(describing: ended))")
        let exit = try #require(monitor.exit())
        #expect(exit.stderr.last?.contains("dying on b'die now'") == true, "\(exit)")
        #expect(exit.description.contains("killed by signal 6 (SIGABRT)"), "\(exit)")
        try monitor.restart()
        #expect(monitor.restarts == 1)
        #expect(send("hello", to: monitor.address) == Array("ok\n".utf8))
    }

    @Test("a hung server is ended by its process group and replaced by a fresh one", .needs(.python3))
    func hangIsRestarted() throws {
        let monitor = try ProcessMonitor(try SpawnCommand(Self.server("hang")))
        defer { monitor.stop() }
        let hung = monitor.current
        let stuck = try LoopbackClient(connectingTo: monitor.address)
        try stuck.send(Array("hang".utf8))
        #expect(send("hello", to: monitor.address, timeout: 0.3).isEmpty, "a hung one-thread server answers nobody")
        try monitor.restart()
        #expect(hung.poll() == .killed(signal: SIGKILL))
        #expect(send("hello", to: monitor.address) == Array("ok\n".utf8))
    }

    @Test("stopping ends the whole process group, a forked child too")
    func stopEndsTheGroup() throws {
        // Not a simple command: the shell stays, with a sleeping child in its group.
        let process = try ServerProcess.start(try SpawnCommand("sleep 1000 & exec python3 -m http.server --bind 127.0.0.1 {port}"))
        let group = process.pid
        #expect(kill(-group, 0) == 0)
        process.stop()
        // The child, killed too, is reaped by init a moment later.
        let deadline = Date().addingTimeInterval(10)
        while kill(-group, 0) == 0 && Date() < deadline { usleep(10_000) }
        #expect(kill(-group, 0) == -1 && errno == ESRCH, "something of group \(group) still runs")
    }

    @Test("a command that ends before accepting is a start error naming its status and stderr")
    func earlyEnd() throws {
        #expect {
            _ = try ServerProcess.start(try SpawnCommand("echo no such port >&2; exit 3"), readyWithinNanos: 5_000_000_000)
        } throws: { error in
            let text = "\(error)"
            return text.contains("exited with status 3") && text.contains("no such port")
        }
    }
}
