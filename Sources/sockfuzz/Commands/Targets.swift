// `--target HOST:PORT`: parsed, then probed once, so an unreachable server is one clear line
// (exit 2) before any scenario runs.

import ArgumentParser
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
        // The probe counts a reset as reachable (something accepted): what the target does with
        // connections is for the run to judge (exit 1), not a usage error.
        let errno = ScenarioRunner.probe(address)
        guard errno == 0 else {
            Output.error("sockfuzz: \(option) \(text): cannot connect: \(Format.errno(errno))")
            throw ExitCode(2)
        }
        return address
    }

    /// `reachable`, with the host as written: the one value the rest of the run carries.
    static func reachableTarget(_ text: String, option: String) throws -> Target {
        Target(try reachable(text, option: option), host: host(text))
    }

    /// The host of HOST:PORT as written, brackets off (`localhost`, not the address it resolves
    /// to): the name TLS sends as SNI and checks the certificate against, as openssl s_client does.
    static func host(_ text: String) -> String? {
        try? SocketAddress.split(text).host
    }
}
