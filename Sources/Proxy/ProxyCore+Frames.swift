// The frame-aware toxics: with a framing, each direction is cut into whole requests (upstream)
// or replies (downstream); while a frame-aware toxic is active, bytes wait until their frame is
// whole, and the toxics it selects drop, delay, duplicate or corrupt it, or answer a request in
// the server's place. Frames are counted per toxic across the proxy's connections, from when the
// toxic was added, so "the second request" means the second the proxy saw.

import Framing
import Vocabulary

extension ProxyCore {
    /// Takes `count` read bytes into a framed direction.
    func takeFramed(_ link: ProxyLink, _ d: Int, _ bytes: UnsafeRawPointer, _ count: Int, _ plan: FlowPlan) {
        let frames = link.flows[d].cutter!.feed(UnsafeRawBufferPointer(start: bytes, count: count))
        if d == 0 {
            for frame in frames { link.flows[1].cutter?.noteRequest(frame.bytes) }
        }
        if plan.frameRules.isEmpty || link.flows[d].cutter!.broken {
            // Nothing to judge: what was held and what came go on as they are.
            releaseHeld(link, d)
            schedule(link, d, bytes, count, plan)
            link.flows[d].judgedUpTo = link.flows[d].cutter!.fed
            return
        }
        link.flows[d].held.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
        for frame in frames {
            let end = frame.offset &+ UInt64(frame.bytes.count)
            let judged = link.flows[d].judgedUpTo
            guard end > judged else { continue }  // went on before a frame toxic was added
            let take = Int(end - judged)
            if frame.offset < judged {
                // Begun before the toxic came: its rest goes on unjudged.
                forwardHeld(link, d, take, plan)
            } else {
                link.flows[d].held.removeFirst(take)
                judge(link, d, frame.bytes, plan)
            }
            link.flows[d].judgedUpTo = end
        }
    }

    /// What is held of a direction goes on as it is (the stream ended, or no frame toxic is left).
    func releaseHeld(_ link: ProxyLink, _ d: Int) {
        guard !link.flows[d].held.isEmpty else { return }
        forwardHeld(link, d, link.flows[d].held.count, link.flows[d].plan)
        link.flows[d].judgedUpTo = link.flows[d].cutter?.fed ?? link.flows[d].judgedUpTo
    }

    private func forwardHeld(_ link: ProxyLink, _ d: Int, _ count: Int, _ plan: FlowPlan) {
        let bytes = Array(link.flows[d].held.prefix(count))
        link.flows[d].held.removeFirst(count)
        bytes.withUnsafeBytes { schedule(link, d, $0.baseAddress!, $0.count, plan) }
    }

    /// Applies every selecting rule to one whole frame, in the order the toxics were added.
    private func judge(_ link: ProxyLink, _ d: Int, _ frame: [UInt8], _ plan: FlowPlan) {
        let proxy = link.proxy
        // Behind a frame a reorder toxic holds, this connection's next frames wait too.
        if let name = proxy.reorderHolds.first(where: { $0.value.holds(link.id, d) })?.key {
            proxy.reorderHolds[name]!.add(frame, link: link.id, direction: d)
            return
        }
        var copies = [frame]
        var delay: UInt64 = 0
        for rule in plan.frameRules {
            if let pattern = proxy.patterns[rule.name], pattern.firstMatch(in: frame) == nil { continue }
            let seen = proxy.frameSeen[rule.name, default: 0] &+ 1
            proxy.frameSeen[rule.name] = seen
            guard seen >= rule.nth, rule.count == 0 || seen < rule.nth &+ rule.count else { continue }
            proxy.counters.framesActedOn[rule.name, default: 0] &+= 1
            switch rule.type {
            case .drop:
                proxy.counters.bytesDropped &+= UInt64(frame.count)
                copies = []
            case .duplicate:
                copies += copies
            case .corrupt:
                copies = copies.map { bytes in
                    guard !bytes.isEmpty else { return bytes }
                    var damaged = bytes
                    damaged[Int(link.random.next() % UInt64(bytes.count))] ^= 0xFF
                    return damaged
                }
            case .delay:
                delay &+= rule.delayNanos
            case .answer:
                copies = []
                if let reply = rule.reply, link.alive {
                    // In the server's place, at once: ahead of replies still to come for earlier requests.
                    reply.withUnsafeBytes { schedule(link, 1, $0.baseAddress!, $0.count, link.flows[1].plan) }
                    flush(link, 1)
                }
            case .reorder:
                for copy in copies { hold(copy, link, d, rule) }
                copies = []
            default:
                break
            }
        }
        for copy in copies {
            copy.withUnsafeBytes { schedule(link, d, $0.baseAddress!, $0.count, plan, extraDelay: delay) }
        }
    }
}

extension ProxyCore {
    /// reorder: holds `frame`; once `window` connections have one held (or its delay passed
    /// since the first), lets them all go, the connections in reverse order.
    func hold(_ frame: [UInt8], _ link: ProxyLink, _ d: Int, _ rule: FrameRule) {
        let proxy = link.proxy
        var held = proxy.reorderHolds[rule.name] ?? ReorderHold()
        held.add(frame, link: link.id, direction: d)
        if held.timer == nil {
            let name = rule.name
            held.timer = loop.schedule(afterNanos: rule.delayNanos) { [unowned self, unowned proxy] in
                proxy.reorderHolds[name]?.timer = nil
                releaseReorder(proxy, name)
            }
        }
        proxy.reorderHolds[rule.name] = held
        if held.connections.count >= rule.window { releaseReorder(proxy, rule.name) }
    }

    func releaseReorder(_ proxy: ProxyState, _ name: String) {
        guard let held = proxy.reorderHolds.removeValue(forKey: name) else { return }
        if let timer = held.timer { loop.cancel(timer) }
        for entry in held.connections.reversed() {
            guard let link = links[entry.link] else { continue }
            for frame in entry.frames {
                frame.withUnsafeBytes { schedule(link, entry.direction, $0.baseAddress!, $0.count, link.flows[entry.direction].plan) }
            }
            flush(link, entry.direction)
        }
    }
}
