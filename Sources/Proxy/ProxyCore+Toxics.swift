// What the toxics do to a connection's bytes: which apply to it (drawn once per toxic against
// its toxicity), the plan each direction follows, and the time each read chunk may leave.

import Reactor
import Syscalls
import Vocabulary

extension ProxyCore {
    /// Compiles both directions' plans from the proxy's toxics, drawing for toxics this
    /// connection has not met and arming the timers of those that act on time.
    func compilePlans(_ link: ProxyLink) {
        let proxy = link.proxy
        link.planGeneration = proxy.toxicsGeneration
        let names = Set(proxy.toxics.map(\.name))
        for name in link.applies.keys where !names.contains(name) {
            link.applies[name] = nil
            link.toxicStart[name] = nil
            if let timer = link.toxicTimers.removeValue(forKey: name) { loop.cancel(timer) }
        }
        var plans = [FlowPlan(), FlowPlan()]
        plans[0].framed = proxy.framing != nil
        plans[1].framed = proxy.framing != nil
        for toxic in proxy.toxics {
            let applies: Bool
            if let drawn = link.applies[toxic.name] {
                applies = drawn
            } else {
                applies = toxic.toxicity >= 1 || Double(link.random.next() >> 11) / 9007199254740992.0 < toxic.toxicity
                link.applies[toxic.name] = applies
                if applies {
                    // From the first draw that applies it, kept (and counted once) when an update
                    // draws again, as toxiproxy keeps a toxic's state.
                    if link.toxicStart[toxic.name] == nil {
                        link.toxicStart[toxic.name] = link.flows[ProxyLink.index(toxic.stream)].read
                        proxy.counters.toxicConnections[toxic.name, default: 0] += 1
                    }
                    arm(toxic, on: link)
                }
            }
            guard applies, link.alive else { continue }
            let d = ProxyLink.index(toxic.stream)
            let ms = { (name: String) in UInt64(toxic[name]) * 1_000_000 }
            switch toxic.type {
            case .latency:
                plans[d].latencyNanos &+= ms("latency")
                plans[d].jitterNanos &+= ms("jitter")
            case .bandwidth:
                // Rate 0 is no limit, as in toxiproxy (its default: raised later, or left open).
                let rate = UInt64(toxic["rate"]) * 1000
                if rate > 0 { plans[d].bytesPerSecond = plans[d].bytesPerSecond == 0 ? rate : min(plans[d].bytesPerSecond, rate) }
            case .slicer:
                plans[d].slicer = (Int(toxic["average_size"]), Int(toxic["size_variation"]), UInt64(toxic["delay"]) * 1000)
            case .timeout:
                plans[d].dropsEverything = true
                plans[d].notesArrivals = toxic["timeout"] > 0
            case .slowClose:
                plans[d].slowCloseNanos &+= ms("delay")
            case .resetPeer:
                let start = link.toxicStart[toxic.name] ?? 0
                if toxic["bytes"] > 0 { plans[d].resetAfterBytes = start &+ UInt64(toxic["bytes"]) } else { plans[d].resetAfterNanos = ms("timeout") }
            case .limitData:
                // A stream offset: the bytes allowed after the toxic began to apply here.
                let limit = (link.toxicStart[toxic.name] ?? 0) &+ UInt64(toxic["bytes"])
                plans[d].limitBytes = min(plans[d].limitBytes ?? limit, limit)
            case .halfClose:
                break  // acts through its timer
            case .noop:
                break
            case .stall:
                plans[d].stall = (ms("good"), ms("bad"))
            case .drop, .delay, .duplicate, .corrupt, .answer, .reorder:
                plans[d].frameRules.append(FrameRule(name: toxic.name, type: toxic.type, nth: UInt64(max(1, toxic["nth"])),
                                                     count: UInt64(toxic["count"]), delayNanos: ms("delay"), reply: toxic.reply,
                                                     window: Int(max(1, toxic["window"]))))
            }
        }
        guard link.alive else { return }
        link.flows[0].plan = plans[0]
        link.flows[1].plan = plans[1]
    }

    /// Toxics that act at a time, not on bytes: timeout closes, half_close shuts a direction.
    private func arm(_ toxic: Toxic, on link: ProxyLink) {
        let id = link.id
        let d = ProxyLink.index(toxic.stream)
        let delay = UInt64(toxic["timeout"]) * 1_000_000
        switch toxic.type {
        case .timeout where delay > 0:
            link.flows[d].lastArrival = Sys.monotonicNanos()
            armTimeout(link, toxic.name, d, delay, after: delay)
        case .halfClose:
            link.toxicTimers[toxic.name] = loop.schedule(afterNanos: delay) { [unowned self] in
                guard let link = links[id], !link.flows[d].shutDown else { return }
                // The receiver reads EOF; what the sender sends from now on goes nowhere.
                link.flows[d].plan.dropsEverything = true
                link.flows[d].release()
                link.flows[d].enqueued = link.flows[d].sent
                shutDirection(link, d)
            }
        default:
            break
        }
    }

    /// toxiproxy's timeout waits for silence: the connection closes once direction `d` received
    /// nothing for `idle`. A chunk only notes its arrival (`take`); the timer, when it fires,
    /// looks, and waits again for the rest of the silence it still needs.
    func armTimeout(_ link: ProxyLink, _ name: String, _ d: Int, _ idle: UInt64, after wait: UInt64) {
        let id = link.id
        link.toxicTimers[name] = loop.schedule(afterNanos: wait) { [unowned self] in
            guard let link = links[id] else { return }
            let quiet = Sys.monotonicNanos() &- link.flows[d].lastArrival
            if quiet >= idle { drop(link, reset: false) } else { armTimeout(link, name, d, idle, after: idle - quiet) }
        }
    }

    /// Takes `n` bytes just read (in `buffer`) into direction `d` under its plan.
    func take(_ link: ProxyLink, _ d: Int, _ n: Int) {
        let plan = link.flows[d].plan
        let before = link.flows[d].read
        link.flows[d].read &+= UInt64(n)
        if plan.dropsEverything || link.flows[d].limitReached || link.flows[d].resetWhenDrained || link.flows[d].shutDown {
            link.proxy.counters.bytesDropped &+= UInt64(n)
            // toxiproxy's timeout waits for silence: data that arrives starts the wait again.
            if plan.notesArrivals { link.flows[d].lastArrival = Sys.monotonicNanos() }
            return
        }
        if plan.resetAfterBytes == nil, let after = plan.resetAfterNanos {
            // toxiproxy's reset_peer: the first data arms it and goes nowhere.
            link.proxy.counters.bytesDropped &+= UInt64(n)
            if !link.flows[d].resetArmed {
                link.flows[d].resetArmed = true
                let id = link.id
                loop.schedule(afterNanos: after) { [unowned self] in
                    if let link = links[id] { drop(link, reset: true) }
                }
            }
            return
        }
        var count = n
        /// Cuts `count` at the stream offset `limit`, counting what is cut off; true when reached.
        func cut(at limit: UInt64?) -> Bool {
            guard let limit else { return false }
            let room = limit > before ? Int(min(limit - before, UInt64(Int.max))) : 0
            guard count >= room else { return false }
            link.proxy.counters.bytesDropped &+= UInt64(count - room)
            count = room
            return true
        }
        if cut(at: plan.limitBytes) { link.flows[d].limitReached = true }
        if cut(at: plan.resetAfterBytes) { link.flows[d].resetWhenDrained = true }
        if link.flows[d].cutter != nil {
            takeFramed(link, d, buffer, count, plan)
        } else {
            schedule(link, d, buffer, count, plan)
        }
        applyBackpressure(link, d)
        flush(link, d)
    }

    /// Queues `count` bytes at `bytes` with the times they may leave (`extraDelay` later: a
    /// frame the delay toxic holds back).
    func schedule(_ link: ProxyLink, _ d: Int, _ bytes: UnsafeRawPointer, _ count: Int, _ plan: FlowPlan, extraDelay: UInt64 = 0) {
        guard count > 0 else { return }
        let now = Sys.monotonicNanos()
        var start = now &+ extraDelay
        if plan.latencyNanos > 0 || plan.jitterNanos > 0 {
            let delay = Int64(plan.latencyNanos) + link.random.offset(spread: plan.jitterNanos)
            start = now &+ UInt64(max(0, delay))
        }
        // Pieces: the slicer's, else pieces of at most a tenth of a second of bandwidth, so a
        // slow pipe trickles evenly rather than in one late lump.
        let bandwidthPiece = plan.bytesPerSecond > 0 ? max(1, Int(plan.bytesPerSecond / 10)) : Int.max
        var offset = 0
        while offset < count {
            var size = count - offset
            var release = start
            if let slicer = plan.slicer {
                let variation = slicer.variation > 0 ? Int(link.random.offset(spread: UInt64(slicer.variation))) : 0
                size = max(1, slicer.average + variation)
                // Each slice `delay` after the one before, across reads as within one.
                release = max(start, link.flows[d].slicerFree)
                link.flows[d].slicerFree = release &+ slicer.delayNanos
            }
            size = min(size, count - offset, bandwidthPiece)
            if plan.bytesPerSecond > 0 {
                let begin = max(release, link.flows[d].bandwidthFree)
                let end = begin &+ UInt64(size) &* 1_000_000_000 / plan.bytesPerSecond
                link.flows[d].bandwidthFree = end
                release = end
            }
            if let stall = plan.stall {
                release = link.flows[d].stall.release(at: release, goodNanos: stall.goodNanos, badNanos: stall.badNanos,
                                                      random: &link.random)
            }
            link.flows[d].enqueue(bytes + offset, size, release: release, alone: plan.slicer != nil)
            offset += size
        }
    }
}
