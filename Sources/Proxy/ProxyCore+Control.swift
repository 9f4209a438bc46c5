// The operations on proxies and toxics (create, update, delete, toxics added, changed, removed,
// reset), run on the loop's own thread between iterations, so they never race a connection.

import Vocabulary
import Framing
import Reactor
import Syscalls

/// What `ProxyServer` asks of its loop, whatever the loop's design.
protocol ProxyControl: AnyObject {
    func create(name: String, listen: String, upstream: String, enabled: Bool, framing: Framing?) throws(ProxyError) -> ProxyInfo
    func update(name: String, listen: String?, upstream: String?, enabled: Bool?) throws(ProxyError) -> ProxyInfo
    func delete(name: String) throws(ProxyError)
    func recording(of name: String) throws(ProxyError) -> ProxyRecording?
    func startRecording(_ name: String) throws(ProxyError)
    func list() -> [ProxyInfo]
    func addToxic(proxy: String, _ toxic: Toxic) throws(ProxyError) -> Toxic
    func updateToxic(proxy: String, name: String, attributes: [String: Int64], toxicity: Double?) throws(ProxyError) -> Toxic
    func removeToxic(proxy: String, name: String) throws(ProxyError)
    func reset()
}

extension ProxyCore: ProxyControl {
    func create(name: String, listen: String, upstream: String, enabled: Bool, framing: Framing?) throws(ProxyError) -> ProxyInfo {
        guard !name.isEmpty else { throw ProxyError(.invalid, "missing required field: name") }
        guard !upstream.isEmpty else { throw ProxyError(.invalid, "missing required field: upstream") }
        guard proxies[name] == nil else { throw ProxyError(.exists, "proxy already exists") }
        let proxy = ProxyState(name: name, listen: listen.isEmpty ? "127.0.0.1:0" : listen, upstream: upstream,
                               upstreamAddress: try Self.resolve(upstream, role: "upstream"), enabled: enabled, framing: framing)
        if enabled { try startListening(proxy) }
        proxies[name] = proxy
        order.append(name)
        return proxy.info
    }

    func update(name: String, listen: String?, upstream: String?, enabled: Bool?) throws(ProxyError) -> ProxyInfo {
        let proxy = try find(name)
        var restart = false
        if let upstream, upstream != proxy.upstream {
            proxy.upstreamAddress = try Self.resolve(upstream, role: "upstream")
            proxy.upstream = upstream
            restart = true
        }
        if let listen, listen != proxy.listen {
            proxy.listen = listen
            restart = true
        }
        let wanted = enabled ?? proxy.enabled
        if restart || !wanted { stopListening(proxy) }
        proxy.enabled = wanted
        if wanted && proxy.listener < 0 {
            do { try startListening(proxy) } catch { proxy.enabled = false; throw error }
        }
        return proxy.info
    }

    func delete(name: String) throws(ProxyError) {
        let proxy = try find(name)
        stopListening(proxy)
        proxies[name] = nil
        order.removeAll { $0 == name }
    }

    func list() -> [ProxyInfo] { order.compactMap { proxies[$0]?.info } }

    func recording(of name: String) throws(ProxyError) -> ProxyRecording? { try find(name).recording }

    /// Records from now on (connections open already are recorded from their next bytes on).
    func startRecording(_ name: String) throws(ProxyError) {
        let proxy = try find(name)
        if proxy.recording == nil { proxy.recording = ProxyRecording() }
    }

    func addToxic(proxy name: String, _ toxic: Toxic) throws(ProxyError) -> Toxic {
        let proxy = try find(name)
        guard !proxy.toxics.contains(where: { $0.name == toxic.name }) else {
            throw ProxyError(.exists, "toxic already exists")
        }
        if toxic.type.isFrameAware && proxy.framing == nil {
            throw ProxyError(.invalid, "\(toxic.type.rawValue) acts on whole requests or replies: the proxy needs a framing (--framing, or framing= in a scenario)")
        }
        if let match = toxic.match {
            do { proxy.patterns[toxic.name] = try ByteRegex(match) } catch {
                throw ProxyError(.invalid, "match=\"\(match)\" is not a regular expression")
            }
        }
        proxy.frameSeen[toxic.name] = 0
        proxy.toxics.append(toxic)
        toxicsChanged(proxy)
        return toxic
    }

    func updateToxic(proxy name: String, name toxicName: String, attributes: [String: Int64], toxicity: Double?) throws(ProxyError) -> Toxic {
        let proxy = try find(name)
        guard let index = proxy.toxics.firstIndex(where: { $0.name == toxicName }) else {
            throw ProxyError(.notFound, "toxic not found")
        }
        var toxic = proxy.toxics[index]
        do { try toxic.update(attributes: attributes) } catch { throw ProxyError(.invalid, error.message) }
        if let toxicity {
            guard toxicity >= 0 && toxicity <= 1 else { throw ProxyError(.invalid, "toxicity must be between 0 and 1, got \(toxicity)") }
            toxic.toxicity = toxicity
        }
        proxy.toxics[index] = toxic
        // toxiproxy runs an updated toxic afresh on every connection: its toxicity is drawn
        // again (turned from 0 to 1 it now acts on open connections), its timers start again.
        toxicsChanged(proxy, drawingAgain: toxicName)
        return toxic
    }

    func removeToxic(proxy name: String, name toxicName: String) throws(ProxyError) {
        let proxy = try find(name)
        guard proxy.toxics.contains(where: { $0.name == toxicName }) else { throw ProxyError(.notFound, "toxic not found") }
        proxy.toxics.removeAll { $0.name == toxicName }
        releaseReorder(proxy, toxicName)
        proxy.patterns[toxicName] = nil
        proxy.frameSeen[toxicName] = nil
        toxicsChanged(proxy)
    }

    /// toxiproxy's reset: every proxy enabled, every toxic removed.
    func reset() {
        for name in order {
            guard let proxy = proxies[name] else { continue }
            if !proxy.toxics.isEmpty {
                for toxic in proxy.toxics { releaseReorder(proxy, toxic.name) }
                proxy.toxics = []
                toxicsChanged(proxy)
            }
            if !proxy.enabled || proxy.listener < 0 {
                proxy.enabled = true
                try? startListening(proxy)
            }
        }
    }

    // MARK: helpers

    private func find(_ name: String) throws(ProxyError) -> ProxyState {
        guard let proxy = proxies[name] else { throw ProxyError(.notFound, "proxy not found") }
        return proxy
    }

    /// Every open connection takes the new toxics now (timers start when a toxic is added).
    /// `drawingAgain`: an updated toxic, drawn afresh on each connection (its timers restart).
    private func toxicsChanged(_ proxy: ProxyState, drawingAgain redrawn: String? = nil) {
        proxy.toxicsGeneration &+= 1
        for id in proxy.links {
            guard let link = links[id] else { continue }
            if let redrawn {
                link.applies[redrawn] = nil
                if let timer = link.toxicTimers.removeValue(forKey: redrawn) { loop.cancel(timer) }
            }
            guard link.state == .open else { continue }
            compilePlans(link)
            // A toxic removed may have been holding bytes back; let them go now.
            for d in 0..<2 where links[id] != nil && link.flows[d].plan.frameRules.isEmpty { releaseHeld(link, d) }
            for d in 0..<2 where links[id] != nil && !link.flows[d].isDrained { flush(link, d) }
        }
    }

    static func resolve(_ text: String, role: String) throws(ProxyError) -> SocketAddress {
        do { return try SocketAddress.parse(text) } catch {
            throw ProxyError(.invalid, "\(role) '\(text)': \(error.description)")
        }
    }

    private func startListening(_ proxy: ProxyState) throws(ProxyError) {
        let address = try Self.resolve(proxy.listen, role: "listen")
        var fd: Int32 = -1
        do {
            fd = try Sys.listeningSocket(address, backlog: 1024)
            try loop.setInterest(fd, .readable)
            proxy.listen = try Sys.localAddress(fd).description
        } catch {
            if fd >= 0 { loop.forget(fd); Sys.close(fd) }
            throw ProxyError(.listenFailed, "cannot listen on \(proxy.listen): \(error)")
        }
        proxy.listener = fd
        listeners[fd] = proxy
    }

    /// Stops listening and drops every connection (toxiproxy's disable).
    private func stopListening(_ proxy: ProxyState) {
        if proxy.listener >= 0 {
            loop.forget(proxy.listener)
            listeners[proxy.listener] = nil
            Sys.close(proxy.listener)
            proxy.listener = -1
        }
        for id in proxy.links {
            if let link = links[id] { drop(link, reset: false) }
        }
    }
}
