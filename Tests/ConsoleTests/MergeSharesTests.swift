// The options that make a fuzz campaign, as `sockfuzz merge` compares them between shares (a
// share run with other options is refused; MergingTests checks the refusal itself).

import Foundation
import Testing
@testable import sockfuzz

@Suite("merge: a fuzz campaign's options", .childSlot)
struct MergeSharesTests {
    @Test("a fuzz campaign's options tell --runs 6 from --runs 6 --duration 1s (the first limit reached stops a share)")
    func fuzzCampaignBothLimits() throws {
        let out = Scratch().path + "/findings"
        func identity(_ limits: [String]) throws -> String {
            try Fuzz.parse(limits + ["--out", out, "--segment", "0/2"]).campaignIdentity
        }
        let runs = try identity(["--runs", "6"])
        let both = try identity(["--runs", "6", "--duration", "1s"])
        #expect(runs != both, "\(runs)")
        #expect(both.hasPrefix("fuzz --runs 6 --duration 1s "), "\(both)")
        #expect(try identity([]).hasPrefix("fuzz --runs 100 "))
        #expect(try identity(["--duration", "1s"]).hasPrefix("fuzz --duration 1s "))
    }

    @Test("a fuzz campaign's weights are the weights drawn: any order, or the defaults written out, is the same campaign; other weights are not")
    func fuzzCampaignWeights() throws {
        let out = Scratch().path + "/findings"
        func identity(_ weights: [String]) throws -> String {
            try Fuzz.parse(["--out", out, "--segment", "0/2"] + weights).campaignIdentity
        }
        #expect(try identity(["--weights", "send=5,reset=2"]) == identity(["--weights", "reset=2, send=5"]))
        #expect(try identity([]) == identity(["--weights", "send=8"]))
        #expect(try identity(["--weights", "send=5"]) != identity([]))
    }
}
