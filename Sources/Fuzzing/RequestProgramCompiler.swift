// Turns fuzz operations into scenario commands for the request/response oracle: each `.request`
// becomes the pieces of its connection's next requests (`send` of each piece, a `.pieceGap` pause
// between them, never shorter than the settings' floor), and the checks read each reply, in
// order, against its request's reference (`expect reply`), then check that nothing more came
// (`expect no-reply`: a duplicated or unasked reply). Replies are checked at `.check`, at a
// half-close, and at the end for every connection still open; then liveness (a fresh
// connection's request gets its reference reply) and, on the embedded server, nothing held.

import ScenarioLanguage

enum RequestProgramCompiler {
    static func compile(_ ops: [FuzzOp], _ settings: CompileSettings, _ oracle: RequestOracle) -> (items: [CompiledItem], applied: Int) {
        var model = ProgramModel()
        var items: [CompiledItem] = []
        var applied = 0

        func member(_ i: Int) -> Selector { .member(ProgramCompiler.group, index: i) }
        func add(_ command: Command) { items.append(.command(command)) }
        /// One reply check per request on `i` that none has read yet, in sending order; then,
        /// unless `later`, that nothing more came. Sound whatever the timing: every request sent
        /// on `i` has had its reply read, and the next is not sent before this check.
        func checkReplies(_ i: Int, extraCheckedLater later: Bool = false) {
            let m = model.connections[i]
            for index in (m.requestsSent - m.awaitingReplies)..<m.requestsSent {
                add(.expectReply(member(i), oracle.replyCheck(oracle.request(conn: i, index: index)), within: nil))
            }
            model.connections[i].awaitingReplies = 0
            if !later { add(.expectNoReply(member(i), within: nil)) }
        }

        for op in ops {
            guard model.applies(op, maxConnections: settings.maxConnections) else { continue }
            let before = model
            model.apply(op)
            applied += 1
            switch op {
            case .connect(let n):
                items += ProgramCompiler.connecting(n, after: before.connections.count, tls: settings.tls)
            case .request(let c, let count, let cuts, let gap):
                let bytes = oracle.stream(conn: c, first: before.connections[c].requestsSent, count: count)
                let bounds = [0] + cuts.filter { $0 > 0 && $0 < bytes.count }.sorted() + [bytes.count]
                for (n, (from, to)) in zip(bounds, bounds.dropFirst()).enumerated() where from < to {
                    if n > 0 { items.append(.pieceGap(millis: gap)) }
                    add(.send(member(c), .text(Array(bytes[from..<to]))))
                }
            case .send:
                break  // the echo oracle's
            case .halfClose(let c):
                add(.halfclose(member(c)))
                if !before.connections[c].paused { checkReplies(c) }
            case .reset(let c):
                add(.reset(member(c)))
                items.append(.probe)
            case .close(let c):
                add(.close(member(c)))
            case .pause(let c):
                add(.pause(member(c)))
            case .resume(let c):
                add(.resume(member(c)))
            case .sleep(let ms):
                add(.sleep(.milliseconds(Int64(ms))))
            case .check(let c):
                checkReplies(c)
            }
        }

        // The end: every reply still owed arrives, right, and the connection is still open
        // (unless it half-closed: a server may close after answering); then liveness, and only
        // then that nothing more came: the probe's round trip gives a late extra reply time.
        for i in model.openIndices {
            let m = model.connections[i]
            if m.paused { add(.resume(member(i))) }
            checkReplies(i, extraCheckedLater: true)
            if !m.halfClosed { add(.expectState(member(i), .open, within: nil)) }
        }
        var ending = ProgramCompiler.ending(anyOpen: !model.openIndices.isEmpty, settings)
        ending.insert(contentsOf: model.openIndices.map { .command(.expectNoReply(member($0), within: nil)) }, at: 1)
        items += ending
        return (items, applied)
    }
}
