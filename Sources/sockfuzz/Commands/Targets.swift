// `--target HOST:PORT`: parsed, then probed once, so an unreachable server is one clear line
// (exit 2) before any scenario runs. A server that accepts and then resets is reachable: what it
// does with the connection is for the checks to judge (exit 1), not a usage error.

import ArgumentParser
import Glibc
import ScenarioRunner
import Syscalls

enum Targets {
    /// Parses HOST:PORT and checks that something accepts connections there.
    static func reachable(_ text: String, option: String) throws -> SocketAddress {
        let address: SocketAddress
        do {
            address = try SocketAddress.parse(text)
        } catch {
            Output.error("sockfuzz: \(option) \(text): \(error.description)")
            throw ExitCode(2)
        }
        let errno = ScenarioRunner.probe(address)
        guard accepted(probeErrno: errno) else {
            Output.error("sockfuzz: \(option) \(text): cannot connect: \(Format.errno(errno))")
            throw ExitCode(2)
        }
        return address
    }

    /// Whether the probe reached a listening server. A reset (or a broken pipe) can only come
    /// after the handshake, from a server that took the connection and dropped it.
    static func accepted(probeErrno: Int32) -> Bool {
        probeErrno == 0 || probeErrno == ECONNRESET || probeErrno == EPIPE
    }
}
