// The request side of each framing: one whole request parsed into fields, and a stream cut
// into whole requests. What a client sends, as opposed to the decoders beside it, which cut
// what a server answers.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Framing {
    /// One whole request at the start of `bytes`, and how many bytes it took; nil when `bytes`
    /// does not start with a whole, well-formed request in this framing. `raw`: all of `bytes`
    /// (nil when empty).
    public func parseRequest(_ bytes: ArraySlice<UInt8>) -> (fields: RequestFields, length: Int)? {
        var reader = RequestReader(bytes)
        let parsed: Bool
        switch self {
        case .raw:
            guard !bytes.isEmpty else { return nil }
            reader.take(.value, "data", bytes.count)
            parsed = true
        case .line: parsed = LineRequest.parse(&reader, delimiter: nil)
        case .delimiter(let delimiter, _): parsed = LineRequest.parse(&reader, delimiter: delimiter)
        case .length(let prefix): parsed = LengthRequest.parse(&reader, prefix: prefix)
        case .resp: parsed = RESPRequest.parse(&reader)
        case .http1: parsed = HTTP1RequestParser.parse(&reader)
        }
        guard parsed, reader.consumed > 0 else { return nil }
        return (RequestFields(reader.fields), reader.consumed)
    }

    /// `bytes` cut into whole requests, and the bytes after the last whole one (a request cut
    /// short, or bytes that are not a request in this framing).
    public func splitRequests(_ bytes: [UInt8]) -> (requests: [[UInt8]], rest: [UInt8]) {
        var requests: [[UInt8]] = []
        var start = 0
        while start < bytes.count, let (_, length) = parseRequest(bytes[start...]) {
            requests.append(Array(bytes[start..<(start + length)]))
            start += length
        }
        return (requests, Array(bytes[start...]))
    }
}

/// A cursor over a request's bytes that records each run it takes as a field.
struct RequestReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    private(set) var fields: [RequestField] = []
    private(set) var nextGroup = 0

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var consumed: Int { position - bytes.startIndex }
    var remaining: Int { bytes.endIndex - position }
    var atEnd: Bool { position >= bytes.endIndex }

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.endIndex ? bytes[position + offset] : nil
    }

    /// Records the next `count` bytes as a field; returns its index.
    @discardableResult
    mutating func take(_ kind: RequestField.Kind, _ name: String, _ count: Int, group: Int? = nil, lengthOf: Int? = nil, countsGroups: Bool = false) -> Int {
        fields.append(RequestField(kind, name, Array(bytes[position..<(position + count)]), group: group, lengthOf: lengthOf, countsGroups: countsGroups))
        position += count
        return fields.count - 1
    }

    mutating func newGroup() -> Int {
        nextGroup += 1
        return nextGroup - 1
    }

    mutating func link(_ lengthField: Int, to target: Int) { fields[lengthField].lengthOf = target }

    /// Bytes from here up to (not including) the first `byte`, within `limit`; nil when absent.
    /// (The standard library's search, not a loop here: a request may carry a 1 MiB line.)
    func distance(to byte: UInt8, within limit: Int = .max) -> Int? {
        let count = limit >= remaining ? remaining : limit + 1
        guard count > 0 else { return nil }
        return bytes.withUnsafeBytes { all in
            let start = all.baseAddress! + (position - bytes.startIndex)
            return memchr(start, Int32(byte), count).map { UnsafeRawPointer($0) - start }
        }
    }

    /// Bytes from here up to the last `byte` within the next `limit` bytes; nil when absent.
    func lastDistance(to byte: UInt8, within limit: Int) -> Int? {
        let count = min(limit, remaining)
        guard count > 0 else { return nil }
        return bytes.withUnsafeBytes { all in
            let start = all.baseAddress! + (position - bytes.startIndex)
            // memrchr is a GNU extension Glibc's module does not export: memchr forward, once
            // per occurrence.
            var last: Int?
            var from = 0
            while from < count, let hit = memchr(start + from, Int32(byte), count - from) {
                last = UnsafeRawPointer(hit) - start
                from = last! + 1
            }
            return last
        }
    }

    /// The line end at the front: 2 for CR LF, 1 for a lone LF, nil otherwise.
    func lineEnd(crlfOnly: Bool = false) -> Int? {
        if peek() == 0x0d && peek(1) == 0x0a { return 2 }
        if !crlfOnly && peek() == 0x0a { return 1 }
        return nil
    }

    /// The length of the line at the front, without its end (CR LF, or a lone LF unless
    /// `crlfOnly`); nil when no line end has arrived.
    func lineLength(crlfOnly: Bool = false) -> Int? {
        guard let lf = distance(to: 0x0a) else { return nil }
        if lf > 0 && bytes[position + lf - 1] == 0x0d { return lf - 1 }
        return crlfOnly ? nil : lf
    }

    /// The decimal integer in the `count` bytes from `offset` on (an optional '-' then digits).
    func decimal(_ count: Int, at offset: Int = 0) -> Int? {
        guard count > 0, count <= 19, position + offset + count <= bytes.endIndex else { return nil }
        let text = bytes[(position + offset)..<(position + offset + count)]
        guard text.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2d }) else { return nil }
        return Int(String(decoding: text, as: UTF8.self))
    }
}
