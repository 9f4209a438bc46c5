// `segment i/n`: the scenario runs as share i of n. Given once, before any connect, so every
// group's global connection indices are split the same way from its first member on.

extension CommandParser {
    mutating func parseSegment(_ head: Token) throws(ScenarioError) -> Command {
        if let first = state.segmentAt {
            throw ScenarioError("segment is given twice (first at line \(first.line)): a scenario is one share of one split", at: head.location)
        }
        if let group = state.groups.sizes.keys.sorted().first(where: { state.groups.size(of: $0) != state.groupsAtStart.size(of: $0) }) {
            throw ScenarioError("segment must come before any connect ('\(group)' is connected above): a share splits every group from its first connection",
                                at: head.location)
        }
        let token = try cursor.word("a share like 1/4 after 'segment'")
        let segment: ExecutionSegment
        do { segment = try ExecutionSegment(parsing: Substring(token.text)) } catch {
            throw ScenarioError(error.message, at: token.location.advanced(by: error.offset))
        }
        state.segmentAt = head.location
        state.limits = state.limits.forShare(segment)
        return .segment(segment)
    }
}
