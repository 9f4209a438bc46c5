// The reports CI reads: JUnit XML well-formed with the right counts, JSON with every figure.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ScenarioLanguage
import ScenarioRunner
import Testing
import TestSupport

@Suite("reports", .serialized, .sharesDescriptorTable)
struct ReportTests {
    static func results() throws -> [ScenarioResult] {
        let pass = try ScenarioParser.parse(source: "connect c 2\nsend c \"a<b&c\"\nexpect c echo\n", file: "dir/pass.scn")
        let fail = try ScenarioParser.parse(source: "connect c 1\nsend c \"x\"\nexpect c recv \"]]>\\x01\" within 200ms\n", file: "fail.scn")
        return [ScenarioRunner.run(pass, name: "dir/pass.scn", configuration: RunConfiguration(mode: .epoll)),
                ScenarioRunner.run(fail, name: "fail.scn", configuration: RunConfiguration(mode: .select))]
    }

    /// Well-formed XML, by a strict checker (Foundation's parsers on Linux recover silently).
    static func isWellFormed(_ xml: String) -> Bool {
        XMLWellFormedness.problem(in: xml) == nil
    }

    @Test("JUnit XML is well-formed and counts tests and failures")
    func junit() throws {
        let results = try Self.results()
        #expect(results.map(\.status) == [.passed, .failed])
        let xml = JUnitReport.render(results)
        #expect(XMLWellFormedness.problem(in: xml) == nil, "\(XMLWellFormedness.problem(in: xml) ?? "")")
        let document = try XMLDocument(xmlString: xml)
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "tests")?.stringValue == "2")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.count == 2)
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        let text = try #require(failures.first?.stringValue)
        #expect(text.contains("fail.scn:3:1"))
        #expect(text.contains("expected:") && text.contains("seen:"))
        let names = cases.compactMap { ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue }
        #expect(names == ["dir/pass.scn [epoll]", "fail.scn [select]"])
    }

    @Test("the XML checker rejects a broken document (it can fail)")
    func junitCheckerCanFail() {
        #expect(!Self.isWellFormed("<testsuites><testsuite></testsuites>"))
        #expect(!Self.isWellFormed("<testsuites name=\"a&b\"/>"))
        #expect(Self.isWellFormed("<testsuites name=\"a&amp;b\"/>"))
        #expect(!Self.isWellFormed("<a><b></a></b>"))
        #expect(!Self.isWellFormed("<a>x < y</a>"))
        #expect(!Self.isWellFormed("<a b=c/>"))
    }

    @Test("JSON carries every figure and decodes back")
    func json() throws {
        let results = try Self.results()
        let data = try JSONReport.render(results, version: "test")
        let decoded = try JSONDecoder().decode(JSONReport.Document.self, from: data)
        #expect(decoded.passed == false)
        #expect(decoded.runs.count == 2)
        let pass = decoded.runs[0]
        #expect(pass.totals?.connected == 2)
        #expect(pass.totals?.bytesSent == 10)
        #expect(pass.totals?.bytesReceived == 10)
        #expect(pass.totals?.latencyMicros != nil)
        #expect(pass.server?.accepted == 2)
        #expect(decoded.runs[1].failures.first?.line == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["tool", "version", "passed", "interrupted", "runs"])
    }
}
