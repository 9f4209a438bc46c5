// Shrinks a content finding while it still fails the same way: first any long request is made
// short, then across inputs and requests (delta debugging: whole connections, then runs of
// requests), then inside each
// request that is left, field by field, with the mutator's simpler variants (fields dropped,
// long values shortened, integers simplified), simplest first, last request first (the one the
// failure follows). Every candidate is judged on a fresh server; a budget of candidates and time
// bounds the search.

import Syscalls

struct ContentShrinker {
    var maxAttempts: Int
    var deadlineNanos: UInt64
    /// Judges a candidate: its judgement when it fails the same way, else nil.
    let reproduces: ([ContentCase]) -> ContentJudgement?
    let simplifications: ([UInt8]) -> [[UInt8]]
    let interrupted: () -> Bool

    struct Outcome {
        var inputs: [ContentCase]
        var judgement: ContentJudgement
        /// Candidates that still failed the same way.
        var steps: Int
        var attempts: Int
    }

    func shrink(_ start: [ContentCase], _ judgement: ContentJudgement) -> Outcome {
        var best = (inputs: start, judgement: judgement)
        var steps = 0
        var attempts = 0
        func stop() -> Bool { attempts >= maxAttempts || Sys.monotonicNanos() >= deadlineNanos || interrupted() }
        func attempt(_ candidate: [ContentCase]) -> Bool {
            guard !stop(), !candidate.isEmpty, candidate.allSatisfy({ !$0.requests.isEmpty }) else { return false }
            attempts += 1
            guard let j = reproduces(candidate) else { return false }
            steps += 1
            best = (candidate, j)
            return true
        }

        // 0. Long requests first, shortest variant first. What a long request does can depend on
        // how the kernel cuts it into reads (a server's line limit met before or after the line's
        // end arrives), so a finding that keeps one may not fail on every replay; a short one
        // arrives whole. Done before anything else, so that a small budget still does it.
        for i in best.inputs.indices.reversed() {
            for j in best.inputs[i].requests.indices.reversed() where !stop() {
                while best.inputs[i].requests[j].count > Self.longRequest && !stop() {
                    let current = best.inputs[i].requests[j]
                    let shorter = simplifications(current).filter { $0.count < current.count }
                        .sorted { $0.count < $1.count }.prefix(Self.triesPerLongRequest)
                    var shortened = false
                    for candidate in shorter where !stop() {
                        var inputs = best.inputs
                        inputs[i].requests[j] = candidate
                        if attempt(inputs) { shortened = true; break }
                    }
                    if !shortened { break }
                }
            }
        }

        // 1. Whole connections, then runs of requests across them.
        _ = Shrinker.removingRuns(best.inputs, stop: stop) { attempt($0) }
        let base = best.inputs
        let positions = base.indices.flatMap { i in base[i].requests.indices.map { (i, $0) } }
        _ = Shrinker.removingRuns(positions, stop: stop) { kept in
            attempt(Self.inputs(base, keeping: kept))
        }

        // 2. Inside each request, last first: the first simpler variant that still fails, again
        // until none does.
        var i = best.inputs.count - 1
        while i >= 0 && !stop() {
            var j = best.inputs[i].requests.count - 1
            while j >= 0 && !stop() {
                var changed = true
                while changed && !stop() {
                    changed = false
                    for simpler in simplifications(best.inputs[i].requests[j]) where !stop() {
                        var candidate = best.inputs
                        candidate[i].requests[j] = simpler
                        if attempt(candidate) { changed = true; break }
                    }
                }
                j -= 1
            }
            i -= 1
        }
        return Outcome(inputs: best.inputs, judgement: best.judgement, steps: steps, attempts: attempts)
    }

    /// Bytes past which a request is shortened before anything else is tried.
    static let longRequest = 1024
    /// Variants tried, shortest first, each time a long request is shortened.
    static let triesPerLongRequest = 4

    /// `inputs` with only the requests at `kept` (input, request) positions, empty inputs dropped.
    static func inputs(_ inputs: [ContentCase], keeping kept: [(Int, Int)]) -> [ContentCase] {
        var out: [ContentCase] = []
        for (i, input) in inputs.enumerated() {
            let requests = input.requests.indices.filter { j in kept.contains { $0 == (i, j) } }.map { input.requests[$0] }
            if !requests.isEmpty { out.append(ContentCase(requests)) }
        }
        return out
    }
}
