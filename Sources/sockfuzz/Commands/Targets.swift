// `--target HOST:PORT`: parsed, then probed once, so an unreachable server is one clear line
// (exit 2) before any scenario runs.

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
        // A reset means something accepted the connection: the target is reachable, and what it
        // does with connections is for the run to judge (exit 1), not a usage error.
        guard errno == 0 || errno == ECONNRESET else {
            Output.error("sockfuzz: \(option) \(text): cannot connect: \(Format.errno(errno))")
            throw ExitCode(2)
        }
        return address
    }
}
