// How many replies a stream of requests may get, when that is beyond doubt. Servers agree on a
// well-formed request; on a malformed one they differ without being wrong (Redis takes a lone LF
// as the end of an inline command, another server waits for CR LF; an HTTP server may or may not
// fold a line that starts with a blank). One reply more than requests is only a protocol
// violation when every request is one that no two reasonable servers would cut differently.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Framing {
    /// The number of requests in `bytes` when it is whole requests that every server cuts the
    /// same way; nil when any part is malformed, ambiguous, or cut short.
    public func countableRequests(_ bytes: [UInt8]) -> Int? {
        countableRequests(splitRequests(bytes))
    }

    /// The same, for a stream already split by `splitRequests`.
    public func countableRequests(_ split: (requests: [[UInt8]], rest: [UInt8])) -> Int? {
        guard split.rest.isEmpty, split.requests.allSatisfy(isUnambiguous) else { return nil }
        return split.requests.count
    }

    /// Whether `request` (one whole request) is cut the same way by every server of the framing.
    public func isUnambiguous(_ request: [UInt8]) -> Bool {
        switch self {
        case .raw: return false
        case .length, .delimiter: return true
        case .line: return Self.plainLines(request[...], crlf: false)
        case .resp:
            // Arrays are cut by their lengths; an inline command only when it is one plain,
            // non-blank line ended by CR LF.
            if request.first == UInt8(ascii: "*") { return true }
            return Self.plainLines(request[...], crlf: true) && request.contains { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d && $0 != 0x0a }
        case .http1: return Self.plainHTTP(request)
        }
    }

    /// Lines with no NUL, no CR but before LF, and (with `crlf`) every line ended by CR LF.
    /// (memchr over the bytes: a mutant's line may be 1 MiB, and tests run unoptimised code.)
    static func plainLines(_ bytes: ArraySlice<UInt8>, crlf: Bool) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress, raw.count > 0 else { return true }
            let count = raw.count
            if memchr(base, 0, count) != nil { return false }
            func each(_ byte: UInt8, _ body: (Int) -> Bool) -> Bool {
                var from = 0
                while from < count, let hit = memchr(base + from, Int32(byte), count - from) {
                    let at = UnsafeRawPointer(hit) - base
                    if !body(at) { return false }
                    from = at + 1
                }
                return true
            }
            let p = base.assumingMemoryBound(to: UInt8.self)
            guard each(0x0d, { $0 + 1 < count && p[$0 + 1] == 0x0a }) else { return false }
            return !crlf || each(0x0a, { $0 > 0 && p[$0 - 1] == 0x0d })
        }
    }

    /// A head of CR LF lines with no folding, no NUL or stray CR, a three-part request line,
    /// and one way to find the body's end: not both Content-Length and Transfer-Encoding, one
    /// Content-Length of digits only, and a Transfer-Encoding only when it is `chunked`.
    static func plainHTTP(_ request: [UInt8]) -> Bool {
        guard let end = headEnd(request), plainLines(request[..<end], crlf: true) else { return false }
        // memchr from line to line, nothing copied: a mutant's head may hold a 1 MiB target or
        // a thousand headers, and tests run unoptimised code.
        return request.withUnsafeBufferPointer { all -> Bool in
            let base = UnsafeRawPointer(all.baseAddress!)
            func find(_ byte: UInt8, from: Int, to: Int) -> Int? {
                guard from < to else { return nil }
                return memchr(base + from, Int32(byte), to - from).map { UnsafeRawPointer($0) - base }
            }
            var lengths = 0
            var encodings = 0
            var start = 0
            var first = true
            while start < end - 2, let lf = find(0x0a, from: start, to: end) {
                let stop = lf - 1  // the CR
                defer { start = lf + 1 }
                if first {
                    first = false
                    // Three parts, one space between each.
                    guard let a = find(0x20, from: start, to: stop), a > start, let b = find(0x20, from: a + 1, to: stop), b > a + 1,
                          b < stop - 1, find(0x20, from: b + 1, to: stop) == nil else { return false }
                    continue
                }
                guard all[start] != 0x20, all[start] != 0x09, let colon = find(UInt8(ascii: ":"), from: start, to: stop) else { return false }
                let name = all[start..<colon]
                guard !name.contains(0x20), !name.contains(0x09) else { return false }
                var v = colon + 1
                while v < stop && (all[v] == 0x20 || all[v] == 0x09) { v += 1 }
                let value = all[v..<stop]
                if sameLetters(name, "content-length") {
                    lengths += 1
                    guard !value.isEmpty, value.count <= 19, value.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
                } else if sameLetters(name, "transfer-encoding") {
                    encodings += 1
                    guard value.count == 7, HTTP1RequestParser.endsChunked(Array(value)) else { return false }
                }
            }
            return lengths + encodings <= 1
        }
    }

    /// Whether `bytes` spell `name` (lowercase ASCII) in any case.
    static func sameLetters(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        return name.withUTF8Buffer { letters in
            zip(bytes, letters).allSatisfy { ($0 | 0x20) == $1 }
        }
    }

    /// The offset just past the CR LF CR LF that ends an HTTP head, nil without one.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, raw.count >= 4 else { return nil }
            let p = base.assumingMemoryBound(to: UInt8.self)
            var from = 0
            while from + 4 <= raw.count, let hit = memchr(base + from, 0x0d, raw.count - from) {
                let at = UnsafeRawPointer(hit) - base
                if at + 4 <= raw.count && p[at + 1] == 0x0a && p[at + 2] == 0x0d && p[at + 3] == 0x0a { return at + 4 }
                from = at + 1
            }
            return nil
        }
    }
}
