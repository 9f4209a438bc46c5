// `merge --html` of a scenario run's shares, through the binary: two shares as processes, where a
// server fault corrupts the one long message of one share (the page says FAILED with the share
// and file:line:column of its check), and the twin without the fault (the page says PASSED).
// The failing check's text holds `<script>` and `&`: the page shows it escaped, never as markup.

import Foundation
import Testing

@Suite("merge --html of scenario run shares", .childSlot, .serialized)
struct RunMergePageTests {
    /// `tag[2]`, share 1/2's, sends 124 bytes; corrupt-echo flips byte 100 of every stream, so
    /// only its echo comes back wrong. The `web` messages stay under 100 bytes.
    static func scenario(fault: String) -> String {
        let payload = "<script>alert(1)</script> & <b>bold</b> " + String(repeating: "x", count: 84)
        return """
            # two shares; the one long message is share 1's
            seed 3
            server start epoll\(fault)
            connect web 6
            send web random 20..90
            expect web echo within 3s
            connect tag 4
            send tag[2] "\(payload)"
            expect tag[2] recv "\(payload)" within 3s

            """
    }

    /// Runs both shares as processes and merges them with --html: (merge status and output, page).
    private func sharesMerged(fault: String, _ scratch: Scratch, _ name: String) async throws -> (status: Int32, output: String, page: String) {
        let file = scratch.path + "/\(name).scn"
        try Self.scenario(fault: fault).write(toFile: file, atomically: true, encoding: .utf8)
        let paths = (0..<2).map { scratch.path + "/\(name)-\($0).json" }
        let shares = try (0..<2).map { i in try RunningSockfuzz(["run", file, "--segment", "\(i)/2", "--json", paths[i]], scratch: scratch) }
        for (i, share) in shares.enumerated() {
            let run = await share.finish(timeout: 60)
            #expect(run.status == (fault.isEmpty || i == 0 ? 0 : 1), "share \(i): \(run.output)")
        }
        let html = scratch.path + "/\(name).html"
        let merged = try await Piped.run(["merge"] + paths + ["--html", html], input: "", scratch: scratch)
        let page = String(decoding: try #require(FileManager.default.contents(atPath: html), "\(merged.output)"), as: UTF8.self)
        return (merged.status, merged.output, page)
    }

    @Test("one share's server fault: the page says FAILED, with the share, the check's location and its text escaped; the twin says PASSED")
    func faultAndTwin() async throws {
        let scratch = Scratch()
        let bad = try await sharesMerged(fault: " fault=corrupt-echo", scratch, "faulty")
        #expect(bad.status == 1 && bad.output.contains("merge: FAILED"), "\(bad.output)")
        #expect(bad.page.contains("<strong>FAILED: a share failed (below)</strong>"), "\(bad.page)")
        #expect(bad.page.contains("<h3>Failed checks</h3>"), "\(bad.page)")
        // The printed problem line of that check, made from the same failure as the page's row.
        #expect(bad.output.contains("  problem: share 1/2: \(scratch.path)/faulty.scn:9:1: "), "\(bad.output)")
        // The failed check's row: share 1/2, then its location in the file.
        #expect(bad.page.contains("<tr><td>1/2</td><td class=\"unbroken\">\(scratch.path)/faulty.scn:9:1</td>"), "a location never wraps: \(bad.page)")
        // share 0: the echo held, the recv on tag[2] is share 1's (skipped); share 1: echo held, recv failed.
        #expect(bad.page.contains("2 passed, 1 failed, 1 skipped"), "\(bad.page)")
        #expect(bad.page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "\(bad.page)")
        #expect(!bad.page.contains("<script") && !bad.page.contains("<b>"), "\(bad.page)")
        #expect(bad.page.contains("<td>web</td><td>6 of 6</td>") && bad.page.contains("<th>latency</th>"), "\(bad.page)")

        let good = try await sharesMerged(fault: "", scratch, "twin")
        #expect(good.status == 0 && good.output.contains("merge: PASSED"), "\(good.output)")
        #expect(good.page.contains("<strong>PASSED: every share of every run passed</strong>"), "\(good.page)")
        #expect(!good.page.contains("Failed checks") && !good.page.contains("FAILED"), "\(good.page)")
        #expect(good.page.contains("3 passed, 0 failed, 1 skipped") && good.page.contains("seed</th><td>3</td>"), "\(good.page)")
    }
}
