// The semantic checker: which groups exist and how many members each is statically known to
// have, so a selector naming an unknown group or an index past the end fails before any I/O.

/// Group sizes known so far: the sum of `connect` counts, a connect inside `repeat N` counting N
/// times. Sizes only grow (a closed connection keeps its index), so an index checked against the
/// size at its line stays valid later. Carried across lines, includes and REPL entries.
public struct GroupTable: Sendable, Equatable {
    public private(set) var sizes: [String: Int]

    public init(_ sizes: [String: Int] = [:]) { self.sizes = sizes }

    public func size(of group: String) -> Int? { sizes[group] }

    /// Records `connect group count`. Saturates instead of trapping: sizes from nested repeats of
    /// huge counts are still "big enough" and must not crash the parser.
    mutating func connect(_ group: String, count: Int) {
        sizes[group] = Self.saturatingAdd(sizes[group] ?? 0, count)
    }

    /// Throws unless the selector names a known group and, for indices, a member it has.
    func check(_ site: SelectorSite) throws(ScenarioError) {
        let name: String
        let lo: Int
        let hi: Int
        let what: String
        switch site.selector {
        case .all: return  // `*` means "whatever is open", which may legitimately be nothing
        case .group(let group):
            guard sizes[group] != nil else { throw unknown(group, at: site.nameLocation) }
            return
        case .member(let group, let index):
            (name, lo, hi, what) = (group, index, index, "index \(index)")
        case .range(let group, let indices):
            (name, lo, hi, what) = (group, indices.lowerBound, indices.upperBound, "range \(indices.lowerBound)..\(indices.upperBound)")
        }
        guard let size = sizes[name] else { throw unknown(name, at: site.nameLocation) }
        guard hi >= size else { return }
        let members = size == 0 ? "0 connections" : size == 1 ? "1 connection: 0" : "\(size) connections: 0..\(size - 1)"
        // Point at the first end that is out of range.
        let at = lo >= size ? site.lowLocation : site.highLocation
        throw ScenarioError("\(what) is out of range for '\(name)' (\(members))", at: at)
    }

    private func unknown(_ group: String, at location: SourceLocation) -> ScenarioError {
        ScenarioError("unknown group '\(group)': no 'connect \(group) N' before this line", at: location)
    }

    /// The table after a `repeat count { ... }`: `before` plus `count` times what one pass of
    /// the body added (the body itself was checked once, against its first and smallest pass).
    static func repeated(from before: GroupTable, to after: GroupTable, count: Int) -> GroupTable {
        var result = before
        for (group, size) in after.sizes {
            let added = size - (before.sizes[group] ?? 0)
            let (times, overflow) = added.multipliedReportingOverflow(by: count)
            result.sizes[group] = saturatingAdd(before.sizes[group] ?? 0, overflow ? Int.max : times)
        }
        return result
    }

    private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
