// Where every design of the echo server listens: the configured address resolved, a socket bound
// with SO_REUSEADDR (and SO_REUSEPORT when asked) and listening, and the reserve descriptor the
// server frees to shed a connection on EMFILE. Closed again when any step fails.

import Glibc
import Syscalls
import Vocabulary

struct ServerListener {
    let listener: Int32
    let reserve: Int32

    init(_ configuration: ServerConfiguration) throws {
        let address: SocketAddress
        do {
            address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
        } catch {
            throw SystemError(call: "getaddrinfo(\(configuration.host))", errno: EINVAL)
        }
        listener = try Sys.socket(family: address.family)
        do {
            try Sys.setReuseAddress(listener)
            if configuration.reusePort { try Sys.setReusePort(listener) }
            try Sys.bind(listener, address)
            try Sys.listen(listener, backlog: configuration.backlog)
            reserve = try Sys.openDevNull()
        } catch {
            Sys.close(listener)
            throw error
        }
    }

    func close() {
        Sys.close(listener)
        Sys.close(reserve)
    }
}
