// The faults that imply edge-triggering are named once (ServerFault.impliesEdgeTriggered):
// a server given one is edge-triggered whatever `edge` says, says so, and exists only in the
// one design that can be edge-triggered, in the language as in the configuration.

import Testing
@testable import ScenarioLanguage

@Suite("Edge-triggered faults")
struct EdgeTriggeredFaultTests {
    @Test("edge-single-read and tls-ignore-pending are the edge-triggered faults")
    func named() {
        #expect(ServerFault.allCases.filter(\.impliesEdgeTriggered) == [.edgeSingleRead, .tlsIgnorePending])
    }

    @Test("a server given an edge-triggered fault is edge-triggered, in epoll only", arguments: ServerFault.allCases)
    func edgeTriggered(fault: ServerFault) throws {
        let epoll = try ServerConfiguration(mode: .epoll, fault: fault).validated()
        #expect(epoll.edgeTriggered == fault.impliesEdgeTriggered)
        #expect(ServerConfiguration(mode: .epoll, fault: fault).isEdgeTriggered == fault.impliesEdgeTriggered)
        #expect((ServerConfiguration(mode: .select, fault: fault).conflict(with: .select) != nil) == fault.impliesEdgeTriggered)
    }

    @Test("edge alone is edge-triggered too")
    func edgeFlag() {
        #expect(ServerConfiguration(mode: .epoll, edgeTriggered: true).isEdgeTriggered)
        #expect(!ServerConfiguration(mode: .epoll).isEdgeTriggered)
    }

    @Test("the language refuses an edge-triggered fault or edge outside epoll, at the word", arguments: [
        ("server start select fault=edge-single-read", "1:27: fault edge-single-read needs mode epoll, not select"),
        ("server start busy fault=tls-ignore-pending", "1:25: fault tls-ignore-pending needs mode epoll, not busy"),
        ("server start uring edge", "1:20: 'edge' needs mode epoll, not uring"),
    ])
    func refused(line: String, message: String) {
        do {
            _ = try ScenarioParser.parse(source: line, file: "f.scn")
            Issue.record("`\(line)` parsed")
        } catch {
            #expect("\(error)" == "f.scn:" + message)
        }
    }
}
