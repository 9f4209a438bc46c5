// The JUnit XML report CI systems read: one test case per run, named for what ran against what
// (`half-close.scn [epoll]`, `x.scn [target 127.0.0.1:7000]`); failures with file:line and the
// expected / seen text; a file that could not be parsed is an error; skipped and interrupted runs
// are marked as such.

import Foundation

public enum JUnitReport {
    public static func render(_ results: [ScenarioResult], suiteName: String = "sockfuzz") -> String {
        let failures = results.filter { $0.status == .failed }.count
        let skipped = results.filter { $0.status == .skipped || $0.status == .interrupted }.count
        let errors = results.filter { $0.status == .errored }.count
        let time = results.reduce(0) { $0 + $1.durationSeconds }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites name="\#(escape(suiteName))" tests="\#(results.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(seconds(time))">"# + "\n"
        xml += #"  <testsuite name="\#(escape(suiteName))" tests="\#(results.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(seconds(time))">"# + "\n"
        for r in results {
            let name = "\(r.scenario) [\(r.against)]"
            xml += #"    <testcase classname="\#(escape(className(r.scenario)))" name="\#(escape(name))" time="\#(seconds(r.durationSeconds))""#
            switch r.status {
            case .passed:
                xml += "/>\n"
            case .failed:
                xml += ">\n"
                if r.failures.isEmpty {
                    xml += #"      <failure message="\#(escape(r.note ?? "failed"))"/>"# + "\n"
                }
                for f in r.failures {
                    xml += #"      <failure message="\#(escape("\(f.location): \(f.statement)"))" type="expectation">"#
                    xml += escape(f.description)
                    xml += "</failure>\n"
                }
                xml += "      <system-out>seed \(r.seed)</system-out>\n"
                xml += "    </testcase>\n"
            case .errored:
                xml += ">\n"
                xml += #"      <error message="\#(escape(r.note ?? "could not run"))" type="syntax"/>"# + "\n"
                xml += "    </testcase>\n"
            case .skipped, .interrupted:
                xml += ">\n"
                xml += #"      <skipped message="\#(escape(r.status == .interrupted ? "interrupted" : (r.note ?? "skipped")))"/>"# + "\n"
                xml += "    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    static func className(_ scenario: String) -> String {
        var name = scenario
        if name.hasSuffix(".scn") { name.removeLast(4) }
        return name.replacingOccurrences(of: "/", with: ".")
    }

    static func seconds(_ s: Double) -> String { String(format: "%.3f", s) }

    /// XML text and attribute escaping; control characters other than tab/newline are dropped
    /// (XML 1.0 cannot carry them at all).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
