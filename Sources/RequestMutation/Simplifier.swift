// Simpler variants of a failing request, for shrinking inside it: the shrinker keeps the first
// variant that still fails the same way and asks again, so variants come simplest first.
// A length that agreed with what it counts keeps agreeing; one that lied keeps its lie (the
// lie may be the bug).

import Framing

enum Simplifier {
    static func candidates(of request: [UInt8], parsed: RequestFields?) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var seen: Set<[UInt8]> = [request]
        func offer(_ bytes: [UInt8]) { if seen.insert(bytes).inserted { out.append(bytes) } }
        guard let fields = parsed else {
            bytesOnly(request).forEach(offer)
            return out
        }
        // Bytes after the request first: then whole units, then fewer repeats.
        if let last = fields.fields.last, last.name == "bytes after the request" {
            var trimmed = fields
            trimmed.fields.removeLast()
            offer(trimmed.rendered())
        }
        for (_, members) in fields.groups.reversed() { offer(removing(members, from: fields).rendered()) }
        for run in repeatedRuns(fields) {
            offer(removing(Array(run.dropFirst(1).joined()), from: fields).rendered())
            offer(removing(Array(run.dropFirst((run.count + 1) / 2).joined()), from: fields).rendered())
        }
        // Then shorter values, and shorter integers.
        for i in fields.fields.indices {
            let field = fields.fields[i]
            switch field.kind {
            case .value, .token:
                guard field.bytes.count > 1 else { continue }
                for length in [1, field.bytes.count / 2] where length < field.bytes.count {
                    var shorter = fields
                    shorter.set(i, to: Array(field.bytes.prefix(length)), keepLengths: agrees(i, in: fields))
                    offer(shorter.rendered())
                }
            case .decimal, .hexadecimal:
                guard field.bytes.count > 1 else { continue }
                var shorter = fields
                shorter.fields[i].bytes.removeLast()
                offer(shorter.rendered())
            case .syntax, .binary: continue
            }
        }
        bytesOnly(request).forEach(offer)
        return out
    }

    /// Whether every length that states field `i`'s size states it truly.
    private static func agrees(_ i: Int, in fields: RequestFields) -> Bool {
        fields.fields.allSatisfy { $0.lengthOf != i || $0.integerValue == fields.fields[i].bytes.count }
    }

    private static func removing(_ members: [Int], from fields: RequestFields) -> RequestFields {
        var out = fields
        for i in members.sorted().reversed() { out.fields.remove(at: i) }
        // A count of units that was true stays true.
        let before = fields.groups.count
        let after = out.groups.count
        for j in out.fields.indices where out.fields[j].countsGroups && out.fields[j].integerValue == before {
            out.fields[j].bytes = out.fields[j].encoded(after)
        }
        return out
    }

    /// Runs of two or more identical consecutive units, each as the field indices of its units.
    private static func repeatedRuns(_ fields: RequestFields) -> [[[Int]]] {
        let groups = fields.groups.map(\.indices)
        var runs: [[[Int]]] = []
        guard !groups.isEmpty else { return runs }
        var start = 0
        func bytes(_ members: [Int]) -> [UInt8] { members.flatMap { fields.fields[$0].bytes } }
        for i in 1...groups.count where i == groups.count || bytes(groups[i]) != bytes(groups[start]) {
            if i - start >= 2 { runs.append(Array(groups[start..<i])) }
            start = i
        }
        return runs
    }

    /// Without a parse: halves and quarters left out, as delta debugging cuts.
    private static func bytesOnly(_ request: [UInt8]) -> [[UInt8]] {
        guard request.count > 1 else { return [] }
        var out: [[UInt8]] = []
        for parts in [2, 4] where request.count >= parts {
            let size = (request.count + parts - 1) / parts
            // Parts past the end (5 bytes in quarters of 2) are not parts.
            for p in 0..<parts where p * size < request.count {
                var cut = request
                cut.removeSubrange((p * size)..<min(request.count, (p + 1) * size))
                if !cut.isEmpty { out.append(cut) }
            }
        }
        return out
    }
}
