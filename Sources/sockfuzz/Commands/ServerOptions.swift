// Command-line options shared by every command that starts the embedded server.

import ArgumentParser
import EmbeddedServer
import Reactor

extension BackendKind: ExpressibleByArgument {}

extension ServerFault: ExpressibleByArgument {}

struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "I/O design of the embedded server: busy, select, epoll or uring (io_uring; no TLS).")
    var mode: BackendKind = .epoll

    @Option(name: .long, help: "Address to bind (loopback unless you ask for more).")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on; 0 picks a free one.", transform: ValueArguments.listenPort)
    var port: Int = 0

    @Flag(name: .long, help: "epoll only: edge-triggered, draining each socket until EAGAIN.")
    var edge = false

    @Option(name: .long, help: ArgumentHelp("Inject a known server bug (for demonstrations and tests).",
                                            valueName: ServerFault.allCases.map(\.rawValue).joined(separator: "|")))
    var fault: ServerFault?

    @Flag(name: .long, help: "Let other processes listen on the same port (SO_REUSEPORT): several `serve` processes then share the connections.")
    var reusePort = false

    @Flag(name: .long, help: "Serve TLS 1.2/1.3: a self-signed certificate for localhost made in memory, or --cert and --key.")
    var tls = false

    @Option(name: .customLong("cert"), help: ArgumentHelp("With --tls: the certificate (chain) to serve, PEM.", valueName: "file"))
    var certificate: String?

    @Option(name: .long, help: ArgumentHelp("With --tls: the certificate's private key, PEM.", valueName: "file"))
    var key: String?

    func validate() throws {
        if (certificate != nil || key != nil) && !tls {
            throw ValidationError("--cert and --key need --tls")
        }
        if (certificate == nil) != (key == nil) {
            throw ValidationError("a TLS certificate needs its key: give both --cert and --key, or neither")
        }
        if let fault, let needed = fault.requiredMode, mode != needed {
            throw ValidationError("--fault \(fault.rawValue) needs --mode \(needed.rawValue) (got --mode \(mode.rawValue))")
        }
        if edge && mode != ServerConfiguration.edgeTriggeredMode {
            throw ValidationError("--edge needs --mode \(ServerConfiguration.edgeTriggeredMode.rawValue) (got --mode \(mode.rawValue))")
        }
    }

    var configuration: ServerConfiguration {
        var configuration = ServerConfiguration(mode: mode, host: host, port: port, edgeTriggered: edge, fault: fault)
        configuration.reusePort = reusePort
        if tls { configuration.tls = ServerTLS(certificatePath: certificate, keyPath: key) }
        return configuration
    }
}
