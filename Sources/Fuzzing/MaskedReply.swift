// How a reference reply becomes the check a written scenario makes: `reply "bytes"` when no
// `--mask` matches it, else `reply match` with a pattern anchored at both ends (`\A...\z`) in
// which the masked parts are wildcards (`.*`, or `[\s\S]*` when the masked text spans a line end)
// and every other byte matches only itself (regex characters escaped, other bytes as `\xHH`).

import Framing
import ScenarioLanguage

enum MaskedReply {
    static func check(reference: [UInt8], masks: [String]) -> ScenarioLanguage.ReplyCheck {
        let masked = maskedRanges(reference, masks)
        guard !masked.isEmpty else { return .bytes(ByteTemplate(bytes: reference)) }
        return .match(pattern: pattern(reference, masked), capture: nil)
    }

    /// The byte ranges the masks match in `reply`, sorted and merged.
    static func maskedRanges(_ reply: [UInt8], _ masks: [String]) -> [Range<Int>] {
        // Read as the language's `reply match` reads frames, but for `^` and `$`, which a mask
        // written for one header line (`^Date: .*$`) means at that line's ends.
        var ranges: [Range<Int>] = []
        for mask in masks {
            guard let regex = try? ByteRegex(mask, linesAnchored: true) else { continue }
            ranges += regex.matches(in: reply).filter { !$0.isEmpty }
        }
        var merged: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    /// The masks that match nothing in any of `replies`: they mask nothing, so a reply that
    /// differs where the user meant to mask it would be a finding. Said before fuzzing.
    static func matchingNothing(_ masks: [String], in replies: [[UInt8]]) -> [String] {
        masks.filter { mask in replies.allSatisfy { maskedRanges($0, [mask]).isEmpty } }
    }

    /// The replies the masks cover from end to end: their check would take any reply.
    static func whollyMasked(_ masks: [String], in replies: [[UInt8]]) -> [Int] {
        replies.indices.filter { k in !replies[k].isEmpty && maskedRanges(replies[k], masks) == [0..<replies[k].count] }
    }

    static func pattern(_ reply: [UInt8], _ masked: [Range<Int>]) -> String {
        var out = "\\A"
        var i = 0
        for range in masked {
            out += reply[i..<range.lowerBound].map(escape).joined()
            out += reply[range].contains(where: { $0 == 0x0a || $0 == 0x0d }) ? "[\\s\\S]*" : ".*"
            i = range.upperBound
        }
        return out + reply[i...].map(escape).joined() + "\\z"
    }

    /// One byte as a pattern matching only it, readable where it can be.
    static func escape(_ b: UInt8) -> String {
        switch b {
        case 0x0d: return "\\r"
        case 0x0a: return "\\n"
        case 0x09: return "\\t"
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return String(UnicodeScalar(b))
        case _ where Array(" /:,;=<>@'%&!~_-".utf8).contains(b):
            return String(UnicodeScalar(b))
        case _ where Array(".^$|?*+()[]{}\\".utf8).contains(b):
            return "\\" + String(UnicodeScalar(b))
        default:
            let digits = Array("0123456789abcdef")
            return "\\x" + String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
        }
    }
}
