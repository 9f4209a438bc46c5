// `proxy` and `toxic`: impairment proxies started by a scenario or the console, each on its own
// loop, between our connections and the server under test. While a proxy runs, later connects
// go through it; stopping it points them back at its upstream.

import Framing
import Proxy
import ScenarioLanguage
import Syscalls
import Vocabulary

/// The proxies of one session, by name.
struct ProxySlots {
    struct Slot {
        let server: ProxyServer
        let listen: SocketAddress
        let upstream: SocketAddress
    }

    var slots: [String: Slot] = [:]

    mutating func stopAll() {
        for slot in slots.values { slot.server.stop() }
        slots = [:]
    }
}

extension ScenarioSession {
    func proxy(_ statement: Statement, _ name: String, _ action: ProxyAction) throws(RunStop) {
        if case .start(let listen, let upstream, let mode, let framing) = action {
            try startProxy(statement, name, listen: listen, upstream: upstream, mode: mode, framing: framing)
            return
        }
        guard let slot = proxies.slots[name] else {
            let running = proxies.slots.keys.sorted()
            throw fail(statement, expected: "a running proxy named \(name)",
                       seen: running.isEmpty ? "no proxy runs (start one with `proxy \(name) upstream=HOST:PORT`)"
                                             : "the proxies running: \(running.joined(separator: ", "))", how: .other)
        }
        switch action {
        case .start: break
        case .off, .on:
            do { _ = try slot.server.update(name: name, enabled: action == .on) } catch {
                throw fail(statement, expected: "proxy \(name) \(action == .on ? "on" : "off")", seen: error.message, how: .other)
            }
            emit(.info(action == .on ? "proxy \(name) on: accepting at \(slot.listen)"
                                     : "proxy \(name) off: its connections dropped, new ones refused"))
        case .stop:
            slot.server.stop()
            proxies.slots[name] = nil
            var line = "proxy \(name) stopped"
            if serverSlot.proxyStopped(listen: slot.listen, upstream: slot.upstream) {
                line += "; later connects go to \(slot.upstream) directly"
            }
            emit(.info(line))
        case .stats:
            let info = try proxyInfo(statement, slot, name)
            var lines = ["proxy \(name): \(info.listen) -> \(info.upstream), \(info.enabled ? "on" : "off")"]
            lines += info.counters.fields.map { "  \($0.0.padding(20)) \($0.1)" }
            for toxic in info.toxics {
                var line = "  toxic \(toxic.name): \(ToxicText.render(toxic)) (applied to \(info.counters.toxicConnections[toxic.name] ?? 0) connections"
                if toxic.type.isFrameAware { line += ", acted on \(info.counters.framesActedOn[toxic.name] ?? 0) frames" }
                lines.append(line + ")")
            }
            emit(.info(lines.joined(separator: "\n")))
        }
    }

    func toxic(_ statement: Statement, _ name: String, _ action: ToxicAction) throws(RunStop) {
        guard let slot = proxies.slots[name] else {
            throw fail(statement, expected: "a running proxy named \(name)", seen: "none runs (start it with `proxy \(name) ...` first)", how: .other)
        }
        // The API's words ("toxic not found") name no toxic: say which, and which there are.
        switch action {
        case .add(let toxic):
            do {
                let added = try slot.server.addToxic(proxy: name, toxic)
                emit(.info("proxy \(name): toxic \(added.name) added: \(ToxicText.render(added))"))
            } catch {
                let seen = error.kind == .exists ? "a toxic named \(toxic.name) is on it already (name= tells two of a kind apart)" : error.message
                throw fail(statement, expected: "toxic \(toxic.name) added to proxy \(name)", seen: seen, how: .other)
            }
        case .remove(let toxic):
            do {
                try slot.server.removeToxic(proxy: name, name: toxic)
                emit(.info("proxy \(name): toxic \(toxic) removed"))
            } catch {
                let present = ((try? slot.server.get(name))?.toxics ?? []).map(\.name)
                let has = present.isEmpty ? "it has none" : "it has \(present.joined(separator: ", "))"
                throw fail(statement, expected: "toxic \(toxic) removed from proxy \(name)",
                           seen: error.kind == .notFound ? "no toxic named \(toxic): \(has)" : error.message, how: .other)
            }
        }
    }

    private func startProxy(_ statement: Statement, _ name: String, listen: String?, upstream: String?, mode: ServerMode?,
                            framing: Framing?) throws(RunStop) {
        guard proxies.slots[name] == nil else {
            throw fail(statement, expected: "a new proxy name", seen: "proxy \(name) runs already (`proxy \(name) stop` ends it)", how: .other)
        }
        let upstreamAddress: SocketAddress
        if let upstream {
            do { upstreamAddress = try SocketAddress.parse(upstream) } catch {
                throw fail(statement, expected: "a resolvable upstream", seen: error.description, how: .other)
            }
        } else {
            try ensureTarget(statement)
            upstreamAddress = serverSlot.connectAddress!
        }
        let loopMode = mode ?? .epoll
        let server: ProxyServer
        let info: ProxyInfo
        do {
            var draw = random.derived("proxy \(name)")
            server = try ProxyServer(mode: loopMode, seed: draw.next())
            info = try server.create(name: name, listen: listen ?? "127.0.0.1:0", upstream: "\(upstreamAddress)", framing: framing)
        } catch let error as ProxyError {
            throw fail(statement, expected: "proxy \(name) listening", seen: error.message, how: .other)
        } catch {
            throw fail(statement, expected: "proxy \(name) listening", seen: "\(error)", how: .other)
        }
        guard let listenAddress = try? SocketAddress.parse(info.listen) else {
            server.stop()
            throw fail(statement, expected: "proxy \(name) listening", seen: "it reports no address", how: .other)
        }
        proxies.slots[name] = ProxySlots.Slot(server: server, listen: listenAddress, upstream: upstreamAddress)
        serverSlot.connectThrough(listenAddress)
        emit(.info("proxy \(name) (\(loopMode.rawValue)\(framing.map { ", framing \($0)" } ?? "")) listening on \(info.listen), forwarding to \(upstreamAddress); later connects go through it"))
    }

    private func proxyInfo(_ statement: Statement, _ slot: ProxySlots.Slot, _ name: String) throws(RunStop) -> ProxyInfo {
        do { return try slot.server.get(name) } catch {
            throw fail(statement, expected: "proxy \(name)'s counters", seen: error.message, how: .other)
        }
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
