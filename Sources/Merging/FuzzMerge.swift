// Adding up the shares of one segmented fuzz campaign (`fuzz --segment i/n --json ...`): the
// runs, operations and connections of every share, and every finding with the share that found
// it. Refuses shares of different campaigns (server, seed, or any other option), a share given
// twice, and missing shares.

import Fuzzing
import Vocabulary

public struct MergedFuzz: Codable {
    public var tool = "sockfuzz merge"
    /// Per server and seed: the campaign's totals over its shares.
    public var campaigns: [Campaign]
    public var passed: Bool

    public struct Campaign: Codable {
        public var against: String
        public var seed: UInt64
        public var shares: Int
        public var runs: Int
        public var operations: Int
        public var connections: Int
        public var findings: [String]
        public var problems: [String]
    }
}

public enum FuzzMerge {
    /// `passed`: each report's own verdict, checked against its campaigns (never trusted).
    public static func merge(_ documents: [(file: String, passed: Bool, summaries: [FuzzSummary])]) throws -> MergedFuzz {
        var groups: [String: [(file: String, summary: FuzzSummary)]] = [:]
        var order: [String] = []
        for (file, passed, summaries) in documents {
            try ShareVerdicts.fuzzReport(passed: passed, summaries, file: file)
            for summary in summaries {
                let key = "\(summary.against) seed \(summary.seed)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((file, summary))
            }
        }
        var campaigns: [MergedFuzz.Campaign] = []
        for key in order {
            let shares = groups[key]!
            // Same server and seed, other options (runs, connections, requests, ...): the union
            // of those shares is no campaign anyone ran.
            try MergeShares.requireSameOptions(shares.map { ($0.file, $0.summary.campaign) }, of: "campaign (\(key))")
            let n = shares[0].summary.segment?.count ?? 1
            try MergeShares.requireComplete(shares.map { ($0.file, $0.summary.segment ?? .whole) }, of: key)
            var campaign = MergedFuzz.Campaign(against: shares[0].summary.against, seed: shares[0].summary.seed, shares: n,
                                               runs: 0, operations: 0, connections: 0, findings: [], problems: [])
            for (_, s) in shares.sorted(by: { ($0.summary.segment?.index ?? 0) < ($1.summary.segment?.index ?? 0) }) {
                let share = (s.segment ?? .whole).description
                campaign.runs += s.runs
                campaign.operations += s.operations
                campaign.connections += s.connections
                if let f = s.finding {
                    campaign.findings.append("share \(share), run \(f.run): \(f.signature)" + (f.scenarioPath.map { " (\($0))" } ?? ""))
                }
                if s.interrupted { campaign.problems.append("share \(share): interrupted") }
                if let e = s.internalError { campaign.problems.append("share \(share): \(e)") }
            }
            // Shares may each get no run of a short campaign; the whole getting none checked nothing.
            if campaign.runs == 0 && campaign.findings.isEmpty && campaign.problems.isEmpty {
                campaign.problems.append("no share made a run: nothing was checked")
            }
            campaigns.append(campaign)
        }
        return MergedFuzz(campaigns: campaigns, passed: campaigns.allSatisfy { $0.findings.isEmpty && $0.problems.isEmpty })
    }
}
