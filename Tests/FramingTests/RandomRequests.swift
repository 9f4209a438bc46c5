// Random well-formed requests of each framing, for the property tests of the request side:
// what a client may legitimately send, varied in every field the parser cuts out.

import Framing
import Vocabulary

enum RandomRequests {
    static let framings: [Framing] = [
        .raw, .line(), .delimiter([0x00]), .delimiter(Array("\r\n\r\n".utf8)),
        .length(LengthPrefix(width: 2, bigEndian: false)), .length(LengthPrefix(width: 4, includesPrefix: true)),
        .length(LengthPrefix(width: 8)), .resp(), .http1(),
    ]

    static func request(_ framing: Framing, _ r: inout SeededRandom) -> [UInt8] {
        switch framing {
        case .raw: return bytes(r.int(in: 1...64), &r)
        case .line:
            let words = (0..<r.int(in: 1...6)).map { _ in word(&r) }
            return Array(words.joined(separator: r.int(in: 0...3) == 0 ? "  " : " ").utf8) + (r.int(in: 0...1) == 0 ? [0x0d, 0x0a] : [0x0a])
        case .delimiter(let d, _):
            // No byte of the payload may start the delimiter, or the request would end early.
            let payload = bytes(r.int(in: 0...40), &r).filter { $0 != d[0] }
            return payload + d
        case .length(let p):
            let payload = bytes(r.int(in: 0...(p.width == 1 ? 200 : 600)), &r)
            let stated = UInt64(payload.count + (p.includesPrefix ? p.width : 0))
            return RequestField.binary(stated, width: p.width, bigEndian: p.bigEndian) + payload
        case .resp:
            if r.int(in: 0...4) == 0 { return Array((word(&r) + " " + word(&r) + "\r\n").utf8) }
            let args = (0..<r.int(in: 1...5)).map { i in i == 0 ? Array(word(&r).utf8) : bytes(r.int(in: 0...30), &r) }
            var out = Array("*\(args.count)\r\n".utf8)
            for a in args { out += Array("$\(a.count)\r\n".utf8) + a + [0x0d, 0x0a] }
            return out
        case .http1: return http1(&r)
        }
    }

    static func http1(_ r: inout SeededRandom) -> [UInt8] {
        let method = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"][r.int(in: 0...5)]
        var head = "\(method) /\(word(&r))?q=\(word(&r)) HTTP/1.\(r.int(in: 0...1))\r\n"
        head += "Host: \(word(&r))\r\n"
        for _ in 0..<r.int(in: 0...4) { head += "X-\(word(&r)):\(r.int(in: 0...1) == 0 ? " " : "")\(word(&r))\r\n" }
        switch r.int(in: 0...2) {
        case 0: return Array((head + "\r\n").utf8)
        case 1:
            let body = bytes(r.int(in: 0...100), &r)
            return Array((head + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
        default:
            var out = Array((head + "Transfer-Encoding: chunked\r\n\r\n").utf8)
            for _ in 0..<r.int(in: 0...3) {
                let chunk = bytes(r.int(in: 1...40), &r)
                let ext = r.int(in: 0...3) == 0 ? ";name=\(word(&r))" : ""
                out += Array("\(String(chunk.count, radix: 16))\(ext)\r\n".utf8) + chunk + [0x0d, 0x0a]
            }
            out += Array("0\r\n".utf8)
            if r.int(in: 0...2) == 0 { out += Array("Expires: \(word(&r))\r\n".utf8) }
            return out + [0x0d, 0x0a]
        }
    }

    static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)

    static func word(_ r: inout SeededRandom) -> String {
        var word = bytes(r.int(in: 1...10), &r)
        for i in word.indices { word[i] = letters[Int(word[i]) % letters.count] }
        return String(decoding: word, as: UTF8.self)
    }

    static func bytes(_ count: Int, _ r: inout SeededRandom) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { r.fill($0) }
        return out
    }
}
