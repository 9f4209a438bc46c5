// AFL-style byte havoc, for `raw` requests and for bytes that no longer parse: flip a bit, set
// an interesting byte, insert or delete a run, copy a block over or into another place.

import Vocabulary

enum ByteHavoc {
    /// The bytes servers special-case: zero, the edges of signed and unsigned bytes, line ends.
    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0d, 0x0a, 0x20, 0x25, 0x3a]

    /// Mutates `bytes` once; says what it did. A block copied from `pool` splices requests.
    static func mutate(_ bytes: inout [UInt8], pool: [[UInt8]], using random: inout SeededRandom) -> String {
        guard !bytes.isEmpty else {
            let b = pick(interestingBytes, &random)
            bytes = [b]
            return "byte 0x\(String(b, radix: 16)) as the whole request"
        }
        let at = random.int(in: 0...(bytes.count - 1))
        switch random.int(in: 0...6) {
        case 0:
            let bit = random.int(in: 0...7)
            bytes[at] ^= 1 << UInt8(bit)
            return "bit \(bit) of byte \(at) flipped"
        case 1:
            let b = pick(interestingBytes, &random)
            bytes[at] = b
            return "byte \(at) set to 0x\(String(b, radix: 16))"
        case 2:
            let count = min(bytes.count - at, blockLength(&random))
            bytes.removeSubrange(at..<(at + count))
            return "\(count) byte(s) deleted at \(at)"
        case 3:
            let count = blockLength(&random)
            let b = pick(interestingBytes, &random)
            bytes.insert(contentsOf: repeatElement(b, count: count), at: random.int(in: 0...bytes.count))
            return "\(count) byte(s) 0x\(String(b, radix: 16)) inserted"
        case 4:
            let count = min(bytes.count - at, blockLength(&random))
            let block = Array(bytes[at..<(at + count)])
            let to = random.int(in: 0...bytes.count)
            bytes.insert(contentsOf: block, at: to)
            return "\(count) byte(s) from \(at) copied in at \(to)"
        case 5:
            let count = min(bytes.count - at, blockLength(&random))
            let from = random.int(in: 0...(bytes.count - count))
            let block = Array(bytes[from..<(from + count)])
            bytes.replaceSubrange(at..<(at + count), with: block)
            return "\(count) byte(s) at \(at) overwritten from \(from)"
        default:
            let donor = pool.isEmpty ? bytes : pick(pool, &random)
            guard !donor.isEmpty else { return mutate(&bytes, pool: [], using: &random) }
            let from = random.int(in: 0...(donor.count - 1))
            let count = min(donor.count - from, blockLength(&random))
            bytes.insert(contentsOf: donor[from..<(from + count)], at: random.int(in: 0...bytes.count))
            return "\(count) byte(s) of another request spliced in"
        }
    }

    /// Mostly short runs, now and then a long one, as AFL draws block lengths.
    private static func blockLength(_ random: inout SeededRandom) -> Int {
        switch random.int(in: 0...9) {
        case 0...6: return random.int(in: 1...8)
        case 7, 8: return random.int(in: 9...128)
        default: return random.int(in: 129...1500)
        }
    }

    private static func pick<T>(_ choices: [T], _ random: inout SeededRandom) -> T {
        choices[random.int(in: 0...(choices.count - 1))]
    }
}
