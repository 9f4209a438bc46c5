// `sockfuzz serve`: the embedded echo server in the foreground, stats on Ctrl-C or SIGTERM.
// Exit status: 0 stopped by a signal, 1 its event loop had failed, 2 the address cannot be listened on.

import ArgumentParser
import EmbeddedServer
import Glibc

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded echo server in the foreground.",
        discussion: """
        Prints the address it listens on; prints its counters and exits on Ctrl-C or SIGTERM. \
        Exit status 2 when it cannot listen there (address in use, not an address of this machine) \
        or cannot use its --cert and --key.
        """
    )

    @OptionGroup var server: ServerOptions

    func run() throws {
        let signals = ForegroundSignals()

        let echo = EchoServer(configuration: server.configuration)
        let address: String
        do {
            address = try echo.start().description
        } catch {
            // The address cannot be used (in use, not this machine's, privileged), or the
            // certificate files cannot: like a bad option, a usage error, exit 2.
            Output.error("sockfuzz serve: cannot listen on \(server.host):\(server.port): \(error)")
            throw ExitCode(2)
        }
        var mode = server.mode.rawValue
        if server.configuration.isEdgeTriggered { mode += " (edge-triggered)" }
        if server.tls || server.fault?.impliesTLS == true {
            mode += server.certificate.map { ", TLS with \($0)" } ?? ", TLS with a self-signed certificate for localhost"
        }
        if let fault = server.fault { mode += ", fault \(fault.rawValue)" }
        Output.line("sockfuzz echo server listening on \(address), mode \(mode)")
        Output.line("Ctrl-C or SIGTERM stops it and prints its counters.")

        let received = signals.wait()
        echo.stop()
        Output.line()
        Output.line("stopped by \(received == SIGINT ? "SIGINT" : "SIGTERM"); counters:")
        for (name, value) in echo.stats.snapshot().fields {
            Output.line("  \(name.padded(to: 22)) \(value)")
        }
        if let failure = echo.stats.loopFailure {
            Output.error("sockfuzz serve: \(failure)")
            throw ExitCode(1)
        }
    }
}
