// Where a session's connects go: the server under test's address, a proxy's while one runs in
// front (the third-party name TLS checks stays), the stopped embedded server's (connects are
// refused then), and a new server choice always replacing a proxy route.

import Syscalls
import Testing
import TestSupport
import Vocabulary
@testable import ScenarioRunner

@Suite("a session's server slot", .serialized, .sharesDescriptorTable)
struct ServerSlotTests {
    static let thirdParty = Target(SocketAddress.loopback(port: 6379), host: "localhost")
    static let proxy = SocketAddress.loopback(port: 7000)

    @Test("a proxy in front of a third-party server takes the connects and keeps the server's name for TLS")
    func proxyInFrontOfThirdParty() {
        var slot = ServerSlot(target: Self.thirdParty)
        #expect(slot.connectAddress == Self.thirdParty.address)
        slot.connectThrough(Self.proxy)
        #expect(slot.connectAddress == Self.proxy)
        #expect(slot.thirdParty == Self.thirdParty)
        #expect(slot.connectTarget?.address == Self.proxy)
        #expect(slot.connectTarget?.tlsName == "localhost", "TLS through the proxy still names the server")
        let otherStopped = slot.proxyStopped(listen: SocketAddress.loopback(port: 7001), upstream: Self.proxy)
        #expect(!otherStopped, "another proxy's stop changes nothing")
        #expect(slot.connectAddress == Self.proxy)
        let stopped = slot.proxyStopped(listen: Self.proxy, upstream: Self.thirdParty.address)
        #expect(stopped)
        #expect(slot.connectAddress == Self.thirdParty.address)
    }

    @Test("a proxy stopped with an upstream of its own sends connects there, not back to the server")
    func proxyWithItsOwnUpstream() {
        var slot = ServerSlot(target: Self.thirdParty)
        let elsewhere = SocketAddress.loopback(port: 8080)
        slot.connectThrough(Self.proxy)
        let stopped = slot.proxyStopped(listen: Self.proxy, upstream: elsewhere)
        #expect(stopped)
        #expect(slot.connectAddress == elsewhere)
    }

    @Test("a target chosen while a proxy runs takes the connects from it")
    func targetReplacesProxyRoute() {
        var slot = ServerSlot(target: nil)
        #expect(slot.connectAddress == nil, "nothing chosen yet: the first connect starts a server")
        slot.connectThrough(Self.proxy)
        slot.useThirdParty(Self.thirdParty)
        #expect(slot.connectAddress == Self.thirdParty.address)
    }

    @Test("a stopped embedded server keeps its address for connects, and its counters and configuration for the report")
    func stoppedEmbeddedServer() throws {
        var slot = ServerSlot(target: nil)
        let configuration = ServerConfiguration(mode: .select)
        let address = try slot.startEmbedded(configuration)
        #expect(slot.connectAddress == address)
        #expect(slot.thirdParty == nil)
        #expect(slot.running != nil && slot.movement() != nil)
        let stopped = slot.stopEmbedded()
        let stoppedAgain = slot.stopEmbedded()
        #expect(stopped && !stoppedAgain, "nothing runs to stop twice")
        #expect(slot.running == nil && slot.movement() == nil)
        #expect(slot.connectAddress == address)
        #expect(slot.stats != nil, "the report still has the last server's counters")
        #expect(slot.lastConfiguration == configuration)
        slot.useThirdParty(Self.thirdParty)
        #expect(slot.connectAddress == Self.thirdParty.address)
        #expect(slot.thirdParty == Self.thirdParty)
    }
}
