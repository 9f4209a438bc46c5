// The proxy's loop-side half: every proxy's listener and every connection through them, on one
// event loop of the chosen design. Accepts, connects to the upstream, moves bytes both ways
// (straight through when no toxic applies), passes a half-close on as a half-close and a reset
// as a reset. Runs on one thread; the control operations (ProxyCore+Control) run here too.

import Glibc
import Reactor
import Syscalls
import Vocabulary

final class ProxyCore<Backend: PollerBackend>: EventHandler {
    let loop: EventLoop<Backend>
    var proxies: [String: ProxyState] = [:]
    /// Insertion order, so listings are stable.
    var order: [String] = []
    var listeners: [Int32: ProxyState] = [:]
    var links: [UInt64: ProxyLink] = [:]
    /// The connection a descriptor belongs to, indexed by descriptor.
    var byDescriptor: [ProxyLink?] = []
    var nextLinkID: UInt64 = 1
    var random: SeededRandom
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    static var bufferSize: Int { 64 * 1024 }

    init(seed: UInt64) throws(SystemError) {
        loop = try EventLoop<Backend>()
        random = SeededRandom(seed: seed)
    }

    deinit {
        for link in links.values { drop(link, reset: false) }
        for fd in listeners.keys { loop.forget(fd); Sys.close(fd) }
        buffer.deallocate()
    }

    // MARK: dispatch

    func handle(fd: Int32, events: IOEvents) -> Bool {
        // Connections first: an array index, where a listener costs a dictionary lookup.
        guard Int(fd) < byDescriptor.count, let link = byDescriptor[Int(fd)] else {
            if let proxy = listeners[fd] { return acceptPending(proxy) }
            return false
        }
        if link.state == .connecting {
            return fd == link.upstream ? finishConnect(link) : false
        }
        var worked = false
        if events.contains(.writable) {
            worked = flush(link, link.direction(writingTo: fd)) || worked
        }
        if events.contains(.readable), link.alive {
            worked = read(link, link.direction(readingFrom: fd)) || worked
        }
        return worked
    }

    // MARK: accept and connect

    private func acceptPending(_ proxy: ProxyState) -> Bool {
        var worked = false
        for _ in 0..<64 {
            let client: Int32
            do {
                guard case .processed(let fd) = try Sys.accept(proxy.listener) else { return worked }
                client = fd
            } catch {
                // Out of descriptors: the pending connection waits in the backlog; try again soon
                // rather than spin on a listener that stays readable.
                if error.isDescriptorExhaustion { pauseAccepting(proxy) }
                return worked
            }
            worked = true
            open(proxy, client: client)
        }
        return worked
    }

    private func pauseAccepting(_ proxy: ProxyState) {
        let listener = proxy.listener
        loop.forget(listener)
        loop.schedule(afterNanos: 50_000_000) { [unowned self] in
            if proxy.listener == listener { try? loop.setInterest(listener, .readable) }
        }
    }

    private func open(_ proxy: ProxyState, client: Int32) {
        proxy.counters.accepted += 1
        let upstream: Int32
        do {
            upstream = try Sys.socket(family: proxy.upstreamAddress.family)
        } catch {
            Sys.close(client)
            proxy.counters.refused += 1
            return
        }
        try? Sys.setNoDelay(client)
        let link = ProxyLink(id: nextLinkID, proxy: proxy, client: client, upstream: upstream,
                             random: random.derived(nextLinkID))
        if let framing = proxy.framing {
            link.flows[0].cutter = FrameCutter(framing: framing, side: .requests)
            link.flows[1].cutter = FrameCutter(framing: framing, side: .replies)
        }
        nextLinkID += 1
        links[link.id] = link
        proxy.links.insert(link.id)
        proxy.counters.active += 1
        remember(link, client)
        remember(link, upstream)
        switch TCPConnect.begin(upstream, to: proxy.upstreamAddress) {
        case .failed:
            proxy.counters.upstreamFailures += 1
            drop(link, reset: false)
        case .connected: _ = markOpen(link)
        case .waits:
            do { try loop.setInterest(upstream, .writable) } catch {
                // select cannot watch a descriptor past FD_SETSIZE: the loop's limit, not the upstream's fault.
                proxy.counters.refused += 1
                drop(link, reset: false)
            }
        }
    }

    private func finishConnect(_ link: ProxyLink) -> Bool {
        if case .failed = TCPConnect.finish(link.upstream) {
            link.proxy.counters.upstreamFailures += 1
            drop(link, reset: false)
            return true
        }
        return markOpen(link)
    }

    private func markOpen(_ link: ProxyLink) -> Bool {
        link.state = .open
        record(link, .opened(connection: link.id))
        try? Sys.setNoDelay(link.upstream)
        compilePlans(link)
        guard link.alive else { return true }
        updateInterest(link)
        return true
    }

    private func record(_ link: ProxyLink, _ event: ProxyRecording.Event) {
        link.proxy.recording?.record(event, at: Sys.monotonicNanos())
    }

    private func remember(_ link: ProxyLink, _ fd: Int32) {
        byDescriptor.growToHold(descriptor: fd, empty: nil)
        byDescriptor[Int(fd)] = link
    }

    // MARK: moving bytes

    /// Reads what the source has (a few reads: the loop is level-triggered and comes back).
    private func read(_ link: ProxyLink, _ d: Int) -> Bool {
        var worked = false
        let source = link.source(d)
        for _ in 0..<4 {
            guard link.alive, !link.flows[d].sourceEnded, !link.flows[d].readPaused else { break }
            let result: IOResult<Int>
            do {
                result = try Sys.recv(source, buffer, Self.bufferSize)
            } catch {
                // The peer reset (or the socket failed): pass the reset on to the other side.
                record(link, d == 0 ? .clientReset(connection: link.id) : .serverReset(connection: link.id))
                drop(link, reset: true)
                return true
            }
            guard case .processed(let n) = result else { break }
            worked = true
            if link.proxy.records {
                let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: n))
                record(link, n == 0 ? (d == 0 ? .clientEnded(connection: link.id) : .serverEnded(connection: link.id))
                                    : (d == 0 ? .clientSent(connection: link.id, bytes: bytes) : .serverSent(connection: link.id, bytes: bytes)))
            }
            if n == 0 {
                releaseHeld(link, d)
                link.flows[d].sourceEnded = true
                updateInterest(link)
                finishIfDrained(link, d)
                break
            }
            if d == 0 { link.proxy.counters.bytesUpstream &+= UInt64(n) } else { link.proxy.counters.bytesDownstream &+= UInt64(n) }
            if link.planGeneration != link.proxy.toxicsGeneration { compilePlans(link) }
            guard link.alive else { return true }
            if link.flows[d].clear && link.flows[d].isDrained {
                passThrough(link, d, n)
            } else {
                take(link, d, n)
            }
            // Short of a full buffer: the socket is drained for now; the level-triggered loop
            // comes back if more arrives, which saves a recv that would only say EAGAIN.
            if n < Self.bufferSize { break }
        }
        return worked
    }

    /// No toxic and nothing queued: write straight from the read buffer, queue what is left.
    private func passThrough(_ link: ProxyLink, _ d: Int, _ n: Int) {
        link.flows[d].read &+= UInt64(n)
        var written = 0
        let destination = link.destination(d)
        while written < n {
            do {
                guard case .processed(let k) = try Sys.send(destination, buffer + written, n - written) else { break }
                written += k
            } catch {
                drop(link, reset: true)
                return
            }
        }
        if written < n {
            link.flows[d].enqueued &+= UInt64(written)
            link.flows[d].sent &+= UInt64(written)
            link.flows[d].enqueue(buffer + written, n - written, release: 0)
            link.flows[d].blocked = true
            applyBackpressure(link, d)
            updateInterest(link)
        } else {
            link.flows[d].enqueued &+= UInt64(n)
            link.flows[d].sent &+= UInt64(n)
        }
    }

    /// Writes the queued bytes whose time has come; arms a timer for the next ones.
    @discardableResult
    func flush(_ link: ProxyLink, _ d: Int) -> Bool {
        guard link.alive else { return false }
        let now = Sys.monotonicNanos()
        let destination = link.destination(d)
        var worked = false
        link.flows[d].blocked = false
        while let first = link.flows[d].segments.first, first.release <= now {
            let pending = Int(first.end &- link.flows[d].sent)
            let start = link.flows[d].queue.readable.baseAddress!
            let result: IOResult<Int>
            do {
                result = try Sys.send(destination, start, pending)
            } catch {
                drop(link, reset: true)
                return true
            }
            guard case .processed(let k) = result else {
                link.flows[d].blocked = true
                break
            }
            worked = true
            link.flows[d].consume(k)
            if k < pending {
                link.flows[d].blocked = true
                break
            }
        }
        if !link.flows[d].blocked, let next = link.flows[d].segments.first {
            armFlush(link, d, at: next.release)
        }
        if link.flows[d].readPaused && link.flows[d].queue.count < Flow.resumeBelow {
            link.flows[d].readPaused = false
        }
        updateInterest(link)
        if link.flows[d].isDrained { finishIfDrained(link, d) }
        return worked
    }

    private func armFlush(_ link: ProxyLink, _ d: Int, at time: UInt64) {
        if let at = link.flows[d].timerAt, at <= time { return }
        if let timer = link.flows[d].timer { loop.cancel(timer) }
        link.flows[d].timerAt = time
        let id = link.id
        link.flows[d].timer = loop.schedule(atNanos: time) { [unowned self] in
            guard let link = links[id] else { return }
            link.flows[d].timerAt = nil
            link.flows[d].timer = nil
            flush(link, d)
        }
    }

    func applyBackpressure(_ link: ProxyLink, _ d: Int) {
        if link.flows[d].queue.count >= Flow.pauseAbove { link.flows[d].readPaused = true }
    }

    /// Readable while the direction it feeds takes bytes; writable while a send is blocked.
    /// Called after every flush, so it reads the four flags in place: no array of descriptors,
    /// no copy of a direction's state.
    func updateInterest(_ link: ProxyLink) {
        guard link.alive, link.state == .open else { return }
        // The client's socket is read for direction 0 and written for 1; the upstream's the reverse.
        guard setInterest(link.client, reading: 0, writing: 1, of: link) else { return }
        _ = setInterest(link.upstream, reading: 1, writing: 0, of: link)
    }

    private func setInterest(_ fd: Int32, reading r: Int, writing w: Int, of link: ProxyLink) -> Bool {
        var interest = IOEvents.none
        if !link.flows[r].sourceEnded && !link.flows[r].readPaused { interest.insert(.readable) }
        if link.flows[w].blocked && !link.flows[w].shutDown { interest.insert(.writable) }
        do { try loop.setInterest(fd, interest) } catch {
            // select cannot watch a descriptor past FD_SETSIZE: the loop's limit.
            link.proxy.counters.refused += 1
            drop(link, reset: false)
            return false
        }
        return true
    }

    // MARK: ending

    /// A direction whose source ended (or a toxic ended it) and whose bytes are all out: shut
    /// the destination's write side (after slow_close's delay); close when both are over.
    func finishIfDrained(_ link: ProxyLink, _ d: Int) {
        guard link.alive, link.flows[d].isDrained else { return }
        if link.flows[d].resetWhenDrained || link.flows[d].limitReached {
            drop(link, reset: link.flows[d].resetWhenDrained)
            return
        }
        guard link.flows[d].sourceEnded, !link.flows[d].shutDown else { return }
        let delay = link.flows[d].plan.slowCloseNanos
        if delay > 0 && !link.flows[d].closeDelayed {
            link.flows[d].closeDelayed = true
            let id = link.id
            loop.schedule(afterNanos: delay) { [unowned self] in
                if let link = links[id] { finishIfDrained(link, d) }
            }
            return
        }
        shutDirection(link, d)
    }

    func shutDirection(_ link: ProxyLink, _ d: Int) {
        link.flows[d].shutDown = true
        link.flows[d].sourceEnded = true
        try? Sys.shutdownWrite(link.destination(d))
        if link.flows[0].shutDown && link.flows[1].shutDown {
            drop(link, reset: false)
        } else {
            updateInterest(link)
        }
    }

    /// Ends a connection: both sockets closed, with RST when `reset` (a peer's reset passed on,
    /// or reset_peer).
    func drop(_ link: ProxyLink, reset: Bool) {
        guard link.alive else { return }
        link.alive = false
        links[link.id] = nil
        for fd in [link.client, link.upstream] {
            loop.forget(fd)
            if reset { try? Sys.setLingerZero(fd) }
            if Int(fd) < byDescriptor.count { byDescriptor[Int(fd)] = nil }
            Sys.close(fd)
        }
        for d in 0..<2 {
            if let timer = link.flows[d].timer { loop.cancel(timer) }
            link.flows[d].release()
        }
        for timer in link.toxicTimers.values { loop.cancel(timer) }
        if reset { link.proxy.counters.resets += 1 }
        link.proxy.links.remove(link.id)
        link.proxy.counters.active -= 1
    }
}
