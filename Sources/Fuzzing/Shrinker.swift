// Shrinks a failing program while the same failure still reproduces: first whole operations
// (halves, quarters, ... single ones, as delta debugging does), then each operation's size
// (fewer connections, smaller payloads, fewer fragments, no gaps or sleeps). Every candidate
// is a fresh run against a fresh server; a budget of attempts and time bounds the search.

public struct ShrinkOutcome: Sendable {
    public var ops: [FuzzOp]
    /// Candidates that still failed the same way (each one a step taken).
    public var steps: Int
    /// Candidates tried in all.
    public var attempts: Int
    public var exhaustedBudget: Bool
}

public struct Shrinker {
    public var maxAttempts: Int
    public var deadlineNanos: UInt64
    /// Runs a candidate; true when it fails with the signature being shrunk.
    let reproduces: ([FuzzOp]) -> Bool
    /// Gives up early (Ctrl-C).
    let interrupted: () -> Bool

    public init(maxAttempts: Int = 300, deadlineNanos: UInt64, reproduces: @escaping ([FuzzOp]) -> Bool,
                interrupted: @escaping () -> Bool = { false }) {
        self.maxAttempts = maxAttempts
        self.deadlineNanos = deadlineNanos
        self.reproduces = reproduces
        self.interrupted = interrupted
    }

    public func shrink(_ start: [FuzzOp], now: () -> UInt64) -> ShrinkOutcome {
        var ops = start
        var steps = 0
        var attempts = 0
        var exhausted = false

        func attempt(_ candidate: [FuzzOp]) -> Bool {
            if attempts >= maxAttempts || now() >= deadlineNanos || interrupted() { exhausted = true; return false }
            attempts += 1
            if reproduces(candidate) { steps += 1; return true }
            return false
        }

        // 1. Remove runs of operations, largest first.
        ops = Self.removingRuns(ops, stop: { exhausted }, attempt)

        // Connections nothing refers to any more: connect fewer, renumber the rest.
        if let candidate = Self.compacted(ops), !exhausted, attempt(candidate) { ops = candidate }

        // 2. Simplify what is left, one operation at a time, until nothing changes.
        var changed = true
        while changed && !exhausted {
            changed = false
            for i in ops.indices where !exhausted {
                for simpler in Self.simplifications(of: ops[i]) {
                    var candidate = ops
                    candidate[i] = simpler
                    if attempt(candidate) { ops = candidate; changed = true; break }
                }
            }
        }
        return ShrinkOutcome(ops: ops, steps: steps, attempts: attempts, exhaustedBudget: exhausted)
    }

    /// Delta debugging's removal: runs of half the items, then quarters, down to single ones,
    /// each removal kept when `attempt` says the smaller list still fails (never to nothing).
    static func removingRuns<T>(_ start: [T], stop: () -> Bool, _ attempt: ([T]) -> Bool) -> [T] {
        var items = start
        var chunk = max(1, items.count / 2)
        while chunk >= 1 && !stop() {
            var i = 0
            while i < items.count && !stop() {
                var candidate = items
                candidate.removeSubrange(i..<min(items.count, i + chunk))
                if !candidate.isEmpty && attempt(candidate) { items = candidate } else { i += chunk }
            }
            if chunk == 1 { break }
            chunk /= 2
        }
        return items
    }

    /// `ops` with only the connections that some operation uses, renumbered in order; nil when
    /// every connection is used.
    static func compacted(_ ops: [FuzzOp]) -> [FuzzOp]? {
        var used = Set<Int>()
        var total = 0
        for op in ops {
            switch op {
            case .connect(let n): total += n
            case .send(let c, _, _, _), .request(let c, _, _, _), .halfClose(let c), .reset(let c), .close(let c),
                 .pause(let c), .resume(let c), .check(let c):
                used.insert(c)
            case .sleep: break
            }
        }
        guard used.count < total else { return nil }
        var renumber: [Int: Int] = [:]
        for old in used.sorted() { renumber[old] = renumber.count }
        var out: [FuzzOp] = []
        var first = 0
        for op in ops {
            switch op {
            case .connect(let n):
                let kept = (first..<(first + n)).filter(used.contains).count
                if kept > 0 { out.append(.connect(count: kept)) }
                first += n
            case .send(let c, let size, let chunks, let gap):
                out.append(.send(conn: renumber[c] ?? c, size: size, chunks: chunks, gapMillis: gap))
            case .request(let c, let count, let cuts, let gap):
                out.append(.request(conn: renumber[c] ?? c, count: count, cuts: cuts, gapMillis: gap))
            case .halfClose(let c): out.append(.halfClose(conn: renumber[c] ?? c))
            case .reset(let c): out.append(.reset(conn: renumber[c] ?? c))
            case .close(let c): out.append(.close(conn: renumber[c] ?? c))
            case .pause(let c): out.append(.pause(conn: renumber[c] ?? c))
            case .resume(let c): out.append(.resume(conn: renumber[c] ?? c))
            case .check(let c): out.append(.check(conn: renumber[c] ?? c))
            case .sleep: out.append(op)
            }
        }
        return out
    }

    /// Smaller versions of one operation, most aggressive first.
    static func simplifications(of op: FuzzOp) -> [FuzzOp] {
        switch op {
        case .connect(let n) where n > 1:
            return [.connect(count: 1), .connect(count: n / 2)].filter { $0 != op }
        case .send(let c, let size, let chunks, let gap):
            var out: [FuzzOp] = []
            if gap > 0 { out.append(.send(conn: c, size: size, chunks: chunks, gapMillis: 0)) }
            if chunks > 1 { out.append(.send(conn: c, size: size, chunks: 1, gapMillis: 0)) }
            if size > 1 {
                out.append(.send(conn: c, size: 1, chunks: 1, gapMillis: 0))
                out.append(.send(conn: c, size: max(1, size / 2), chunks: min(chunks, max(1, size / 2)), gapMillis: gap))
                if size > 4096 {
                    // Round sizes read better in a bug report.
                    out.append(.send(conn: c, size: Self.roundDown(size), chunks: min(chunks, size), gapMillis: gap))
                }
            }
            return out.filter { $0 != op }
        case .request(let c, let count, let cuts, let gap):
            // Whole requests first (no cuts), then fewer cuts, fewer requests. The pause between
            // pieces stays: it is what makes the server read them apart, and without it a finding
            // that shrinking kept by luck fails only some of its replays.
            var out: [FuzzOp] = []
            if !cuts.isEmpty { out.append(.request(conn: c, count: count, cuts: [], gapMillis: 0)) }
            if cuts.count > 1 {
                for i in cuts.indices { out.append(.request(conn: c, count: count, cuts: cuts.enumerated().filter { $0.offset != i }.map(\.element), gapMillis: gap)) }
            }
            if count > 1 {
                out.append(.request(conn: c, count: 1, cuts: cuts, gapMillis: gap))
                out.append(.request(conn: c, count: count - 1, cuts: cuts, gapMillis: gap))
            }
            return out.filter { $0 != op }
        case .sleep(let ms) where ms > 0:
            return [.sleep(millis: 0)]
        default:
            return []
        }
    }

    static func roundDown(_ n: Int) -> Int {
        var unit = 1
        while unit * 2 <= n { unit *= 2 }
        return unit
    }
}
