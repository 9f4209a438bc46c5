// One connection's state in the io_uring echo server, in a table indexed by descriptor. Two
// queues, because the kernel reads a send's bytes after it is submitted: `sending` is the
// buffer a send is in flight from (never touched until it completes), `waiting` takes what
// arrives meanwhile.

import Reactor

struct UringConnection {
    var open = false
    /// Bumped when the descriptor is closed, so late completions of its old operations (the
    /// number may belong to a new connection by then) are told apart and ignored.
    var generation: UInt32 = 0
    /// The peer sent EOF: flush, then close.
    var closing = false
    /// A receive is armed.
    var receiving = false
    /// Receiving stopped because too much is queued (the client does not read).
    var paused = false
    /// A send is in flight.
    var sendInFlight = false
    /// The in-flight send is straight from a provided buffer (its id), not from `sending`.
    var sendBuffer: Int32 = -1
    var sendLength = 0
    var sending = ByteQueue()
    var waiting = ByteQueue()
    /// Bytes read so far; kept only for the corrupt-echo fault.
    var bytesRead: UInt64 = 0

    var queued: Int { sending.count + waiting.count + (sendBuffer >= 0 ? sendLength : 0) }
    var idle: Bool { !sendInFlight && sending.isEmpty && waiting.isEmpty }

    init() {}
}
