// `--metrics-listen` as the commands take it: checked before anything runs, and a listen that
// fails is a usage error (exit 2), not a run that goes on unobserved.

import ArgumentParser
import Metrics
import Syscalls

extension MetricsEndpoint {
    /// `--metrics-listen` of `command` ("sockfuzz load"): nil when not asked; a usage error
    /// (exit 2) when it cannot listen; else serving, its address printed.
    static func start(_ listen: String?, for command: String, render: @escaping @Sendable () -> String) throws -> MetricsEndpoint? {
        guard let listen else { return nil }
        let endpoint: MetricsEndpoint
        do { endpoint = try MetricsEndpoint(listeningOn: listen, render: render) } catch {
            Output.error("\(command): --metrics-listen \(listen): cannot listen: \(error)")
            throw ExitCode(2)
        }
        Output.line("metrics: serving http://\(endpoint.address)/metrics")
        return endpoint
    }

    /// Validates a `--metrics-listen` value before anything runs.
    static func validate(_ listen: String?) throws {
        guard let listen else { return }
        do { _ = try SocketAddress.parse(listen) } catch { throw ValidationError("--metrics-listen \(listen): \(error)") }
    }
}
