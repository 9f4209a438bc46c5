// What a correct echo server lets a client expect of each connection, tracked while a program
// is generated and again while it is compiled (after shrinking, some operations no longer
// apply and are dropped).

struct ConnectionModel {
    var open = true
    var paused = false
    var halfClosed = false
    /// A half-close whose echo-then-EOF check waits until reading resumes.
    var eofCheckPending = false
    /// The request/response oracle's books: requests sent so far (the position in the
    /// connection's request stream) and those whose replies no check has read yet.
    var requestsSent = 0
    var awaitingReplies = 0

    var canSend: Bool { open && !halfClosed }
    var canCheck: Bool { open && !paused && !halfClosed }
}

struct ProgramModel {
    var connections: [ConnectionModel] = []

    var openIndices: [Int] { connections.indices.filter { connections[$0].open } }

    func exists(_ i: Int) -> Bool { i >= 0 && i < connections.count }

    /// Whether `op` makes sense now (a send to a closed connection does not).
    func applies(_ op: FuzzOp, maxConnections: Int) -> Bool {
        switch op {
        case .connect(let n): return n >= 1 && connections.count + n <= maxConnections
        case .send(let c, let size, _, _): return exists(c) && connections[c].canSend && size > 0
        case .request(let c, let count, _, _): return exists(c) && connections[c].canSend && count > 0
        case .halfClose(let c): return exists(c) && connections[c].canSend
        case .reset(let c), .close(let c): return exists(c) && connections[c].open
        case .pause(let c): return exists(c) && connections[c].open && !connections[c].paused
        case .resume(let c): return exists(c) && connections[c].open && connections[c].paused
        case .sleep: return true
        case .check(let c): return exists(c) && connections[c].canCheck
        }
    }

    mutating func apply(_ op: FuzzOp) {
        switch op {
        case .connect(let n): connections += Array(repeating: ConnectionModel(), count: n)
        case .send, .sleep, .check: break
        case .request(let c, let count, _, _):
            connections[c].requestsSent += count
            connections[c].awaitingReplies += count
        case .halfClose(let c):
            connections[c].halfClosed = true
            connections[c].eofCheckPending = connections[c].paused
        case .reset(let c), .close(let c): connections[c].open = false
        case .pause(let c): connections[c].paused = true
        case .resume(let c):
            connections[c].paused = false
            connections[c].eofCheckPending = false
        }
    }
}
