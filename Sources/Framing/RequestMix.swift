// The requests a request/response load sends: one or more, each with a weight, laid out once
// in one contiguous block so the hot path copies a request with one memcpy. Connection c's
// request number s is `schedule[(s + c) % schedule.count]`: round robin over the weighted
// schedule, each connection starting at a different place so the mix holds across connections.

public struct RequestMix: Sendable, Equatable {
    public var requests: [[UInt8]]
    public var weights: [Int]

    public init(_ requests: [[UInt8]], weights: [Int]? = nil) {
        precondition(!requests.isEmpty && requests.allSatisfy { !$0.isEmpty }, "at least one request, none empty")
        self.requests = requests
        self.weights = weights ?? Array(repeating: 1, count: requests.count)
        precondition(self.weights.count == requests.count && self.weights.allSatisfy { $0 >= 1 })
    }

    /// Request indices in sending order, interleaved: weights 3 and 1 give [0, 1, 0, 0], not [0, 0, 0, 1].
    public var schedule: [Int] {
        let total = weights.reduce(0, +)
        var order: [Int] = []
        order.reserveCapacity(total)
        // Smooth weighted round robin (as nginx balances upstreams): deterministic and even.
        var current = Array(repeating: 0, count: weights.count)
        for _ in 0..<total {
            for k in weights.indices { current[k] += weights[k] }
            let best = current.indices.max { current[$0] < current[$1] || (current[$0] == current[$1] && $0 > $1) }!
            current[best] -= total
            order.append(best)
        }
        return order
    }

    /// Mean request size in bytes over the schedule.
    public var meanSize: Double {
        let total = weights.reduce(0, +)
        return Double(zip(requests, weights).map { $0.count * $1 }.reduce(0, +)) / Double(total)
    }

    /// Whether any request is an HTTP HEAD (its response has no body, so the decoder must know).
    public var hasHEAD: Bool { requests.contains(where: HTTP1Request.isHEAD) }

    /// Per request, whether it is an HTTP HEAD: computed once, before sending starts.
    public var headRequests: [Bool] { requests.map(HTTP1Request.isHEAD) }
}
