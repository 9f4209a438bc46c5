// The bench page is well-formed XHTML-compatible markup with one SVG per chart, and every text
// from the report is escaped. Synthetic reports only: no benchmark runs here.

import Bench
import Foundation
import FoundationXML
import Testing

@Suite struct HTMLReportTests {
    @Test func thePageIsWellFormedXML() throws {
        let html = HTMLReport.render(Fixtures.report())
        let elements = try XMLChecker.check(html)
        #expect(elements.first?.name == "html")
        #expect(elements.first?.attributes["xmlns"] == "http://www.w3.org/1999/xhtml")
        #expect(elements.contains { $0.name == "table" })
    }

    @Test func everyChartIsAnInlineSVG() throws {
        let report = Fixtures.report()
        let charts = HTMLReport.charts(for: report)
        // Throughput and p99 for depth 1 and 16, the cost curve twice, the two client charts, and
        // section 7's throughput for depth 1 and 16.
        #expect(charts.count == 10)
        let svgs = try XMLChecker.check(HTMLReport.render(report)).filter { $0.name == "svg" }
        #expect(svgs.count == charts.count)
        #expect(Set(svgs.compactMap { $0.attributes["id"] }) == Set(charts.map(\.id)))
        for svg in svgs { #expect(svg.attributes["xmlns"] == "http://www.w3.org/2000/svg") }
    }

    @Test func chartsDrawOneMarkPerValue() throws {
        let report = Fixtures.report()
        let charts = HTMLReport.charts(for: report)
        let throughput = try #require(charts.first { $0.id == "servers-throughput-depth-1" })
        let bars = try XMLChecker.check(throughput.svg()).filter { $0.name == "rect" && $0.attributes["fill"] != "#ffffff" }
        // 6 servers (uring among them) x 3 connection counts, plus 6 legend swatches.
        #expect(bars.count == 6 * 3 + 6)
        let curve = try #require(charts.first { $0.id == "cost-round-trips" })
        let points = try XMLChecker.check(curve.svg()).filter { $0.name == "circle" }
        #expect(points.count == report.costCurve.count)
    }

    @Test func reportTextIsEscaped() throws {
        let report = Fixtures.report(command: "sockfuzz bench --json '<script>alert(1)</script>' && echo \"x\"")
        let html = HTMLReport.render(report)
        _ = try XMLChecker.check(html)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("Test CPU &lt;2 GHz&gt; &amp; more"))
        #expect(!html.contains("\u{1}"))
    }

    @Test func aPageWithNoSectionIsStillWellFormed() throws {
        let elements = try XMLChecker.check(HTMLReport.render(Fixtures.empty()))
        #expect(!elements.contains { $0.name == "svg" })
        #expect(elements.contains { $0.name == "h2" })
    }

    @Test func thePageIsSelfContained() {
        let html = HTMLReport.render(Fixtures.report())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
        #expect(!html.contains("https://"))
    }

    @Test func foundationXMLReadsThePageToo() throws {
        // A second opinion on structure (FoundationXML recovers from errors, so it is not the judge).
        let document = try XMLDocument(xmlString: HTMLReport.render(Fixtures.report()), options: [])
        #expect(document.rootElement()?.name == "html")
        let svgs = try document.nodes(forXPath: "//*[local-name()='svg']")
        #expect(svgs.count == HTMLReport.charts(for: Fixtures.report()).count)
    }
}

@Suite struct XMLCheckerTests {
    @Test func acceptsAWellFormedDocument() throws {
        let elements = try XMLChecker.check("<!DOCTYPE html>\n<html a=\"1\"><body><p>x &amp; y &#160;</p><br/></body></html>\n")
        #expect(elements.map(\.name) == ["html", "body", "p", "br"])
    }

    @Test(arguments: [
        ("<html><body><p>x</body></html>", "</body> closes <p>"),
        ("<html><body>", "is never closed"),
        ("<html></html><html></html>", "a second root"),
        ("<html><p a=1>x</p></html>", "unquoted value"),
        ("<html><p>fish & chips</p></html>", "bare '&'"),
        ("<html><p>&nbsp;</p></html>", "undefined entity"),
        ("<html><p a=\"1\" a=\"2\">x</p></html>", "twice"),
        ("<html><p>1 < 2</p></html>", "expected a name"),
        ("text", "text outside"),
    ])
    func rejectsWhatIsNotWellFormed(document: String, expected: String) {
        #expect {
            _ = try XMLChecker.check(document)
        } throws: { error in
            (error as? XMLCheckError)?.message.contains(expected) == true
        }
    }

    @Test func rejectsAPageWithOneTagDropped() {
        // The real page with one closing tag removed must fail: the checker is not vacuous.
        let html = HTMLReport.render(Fixtures.report())
        let broken = html.replacingOccurrences(of: "</table>", with: "", options: [], range: html.range(of: "</table>"))
        #expect(throws: XMLCheckError.self) { _ = try XMLChecker.check(broken) }
    }
}
