// STAND-INS until h-grammar's request grammars land (CONTRACT-grammar.md): a tiny request
// splitter and byte mutator so the campaign can be built and tried. Deleted when the real
// `Framing.splitRequests` and `ContentMutator` arrive.

import Framing
import Vocabulary

extension Framing {
    public func requestsSplitByStandIn(_ bytes: [UInt8]) -> (requests: [[UInt8]], rest: [UInt8]) {
        var decoder = FrameDecoder(self)
        if case .http1 = self {
            var out: [[UInt8]] = []
            var rest = bytes[...]
            while let end = rest.firstRange(of: [0x0d, 0x0a, 0x0d, 0x0a]) {
                out.append(Array(rest[..<end.upperBound]))
                rest = rest[end.upperBound...]
            }
            return (out, Array(rest))
        }
        guard let frames = try? decoder.feed(bytes) else { return ([], bytes) }
        let used = frames.reduce(0) { $0 + $1.bytes.count }
        return (frames.map(\.bytes), Array(bytes[used...]))
    }
}

public struct StandInMutator: ContentMutating {
    var pool: [[UInt8]]
    public init(seeds: [[UInt8]]) { pool = seeds }
    public mutating func learnTokens(fromReply reply: [UInt8]) {}
    public mutating func addToPool(_ request: [UInt8]) { pool.append(request) }
    public func mutated(_ request: [UInt8], using random: inout SeededRandom) -> (bytes: [UInt8], operations: [String]) {
        var bytes = request
        guard !bytes.isEmpty else { return ([0], ["insert 0"]) }
        let at = random.int(in: 0...(bytes.count - 1))
        switch random.int(in: 0...3) {
        case 0:
            bytes[at] ^= UInt8(1 << random.int(in: 0...7))
            return (bytes, ["flip a bit of byte \(at)"])
        case 1:
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            guard let d = digits.isEmpty ? nil : digits[random.int(in: 0...(digits.count - 1))] else { return (bytes, []) }
            let value = ["-2", "-1", "0", "99999999999999999999", "2147483648"][random.int(in: 0...4)]
            bytes.replaceSubrange(d...d, with: Array(value.utf8))
            return (bytes, ["digit at \(d) -> \(value)"])
        case 2:
            bytes.remove(at: at)
            return (bytes, ["delete byte \(at)"])
        default:
            bytes.insert(contentsOf: [0x0d, 0x0a], at: at)
            return (bytes, ["CR LF at \(at)"])
        }
    }
    public func simplifications(of request: [UInt8]) -> [[UInt8]] { [] }
}
