// One connection's state in the echo server, kept in a table indexed by descriptor. Declared
// outside the generic server on purpose: a struct nested in a generic class is generic too, and
// every access to the table then asks the runtime for its type metadata (a third of the
// server's user-space instructions per message, measured with callgrind).

import Reactor

struct EchoConnection {
    var open = false
    /// The peer sent EOF: flush, then close.
    var closing = false
    var queue = ByteQueue()
    /// Bytes read so far; kept only for the corrupt-echo fault.
    var bytesRead: UInt64 = 0

    init(open: Bool = false) { self.open = open }
}
