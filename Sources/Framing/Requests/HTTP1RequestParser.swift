// An HTTP/1.1 request: the request line, each header's name and value, and the body, by
// Content-Length or chunked (chunk sizes, extensions, data, trailers). Bare LF line ends are
// taken as servers lenient about them take them, so a mutant's lone LF still parses.

enum HTTP1RequestParser {
    static func parse(_ r: inout RequestReader) -> Bool {
        guard requestLine(&r), let headers = headerLines(&r, label: "header") else { return false }
        if headers.chunked { return chunkedBody(&r) }
        guard let length = headers.contentLength else { return true }
        guard let declared = r.fields[length].integerValue, declared >= 0, r.remaining >= declared else { return false }
        if declared > 0 {
            let body = r.take(.value, "body", declared)
            r.link(length, to: body)
        }
        return true
    }

    private static func requestLine(_ r: inout RequestReader) -> Bool {
        guard let length = r.lineLength(), length > 0 else { return false }
        // Searched, not copied: a mutant's request line may be 1 MiB long.
        guard let firstSpace = r.distance(to: 0x20, within: length - 1), let lastSpace = r.lastDistance(to: 0x20, within: length),
              firstSpace > 0, lastSpace > firstSpace, lastSpace < length - 1 else { return false }
        r.take(.token, "method", firstSpace)
        r.take(.syntax, "space", 1)
        r.take(.value, "target", lastSpace - firstSpace - 1)
        r.take(.syntax, "space", 1)
        r.take(.token, "version", length - lastSpace - 1)
        r.take(.syntax, "line end", r.lineEnd()!)
        return true
    }

    /// Header lines up to and including the empty line that ends them; nil when one has no
    /// colon or the empty line has not arrived.
    private static func headerLines(_ r: inout RequestReader, label: String) -> (contentLength: Int?, chunked: Bool)? {
        var contentLength: Int?
        var chunked = false
        while true {
            guard let length = r.lineLength() else { return nil }
            if length == 0 {
                r.take(.syntax, "end of \(label)s", r.lineEnd()!)
                return (contentLength, chunked)
            }
            guard let colon = r.distance(to: UInt8(ascii: ":"), within: length), colon > 0, colon < length else { return nil }
            let group = r.newGroup()
            let name = String(decoding: r.bytes[r.position..<(r.position + colon)], as: UTF8.self)
            r.take(.token, "\(label) \(name) name", colon, group: group)
            var separator = 1
            while separator < length - colon && (r.peek(separator) == 0x20 || r.peek(separator) == 0x09) { separator += 1 }
            r.take(.syntax, "\(label) \(name) colon", separator, group: group)
            let valueLength = length - colon - separator
            let lower = name.lowercased()
            let isLength = lower == "content-length" && r.decimal(valueLength) != nil
            if valueLength > 0 {
                let value = r.take(isLength ? .decimal : .value, "\(label) \(name) value", valueLength, group: group)
                if isLength { contentLength = value }
                if lower == "transfer-encoding" && Self.endsChunked(r.fields[value].bytes) {
                    chunked = true
                }
            }
            r.take(.syntax, "\(label) \(name) end", r.lineEnd()!, group: group)
        }
    }

    private static func chunkedBody(_ r: inout RequestReader) -> Bool {
        var n = 0
        while true {
            guard let length = r.lineLength(), length > 0 else { return false }
            let extensionStart = r.distance(to: UInt8(ascii: ";"), within: length).map { min($0, length) } ?? length
            guard extensionStart > 0, extensionStart <= 16,
                  let size = Int(String(decoding: r.bytes[r.position..<(r.position + extensionStart)], as: UTF8.self), radix: 16),
                  size >= 0 else { return false }
            n += 1
            let group = r.newGroup()
            let sizeField = r.take(.hexadecimal, "chunk \(n) size", extensionStart, group: group)
            if extensionStart < length {
                r.take(.syntax, "chunk \(n) extension marker", 1, group: group)
                if length - extensionStart > 1 { r.take(.value, "chunk \(n) extension", length - extensionStart - 1, group: group) }
            }
            r.take(.syntax, "chunk \(n) size end", r.lineEnd()!, group: group)
            if size == 0 { return headerLines(&r, label: "trailer") != nil }
            guard size < r.remaining else { return false }
            let data = r.take(.value, "chunk \(n) data", size, group: group)
            r.link(sizeField, to: data)
            guard let end = r.lineEnd() else { return false }
            r.take(.syntax, "chunk \(n) end", end, group: group)
        }
    }

    /// Whether a Transfer-Encoding value's last coding is `chunked` (what makes the body chunked:
    /// `chunkedc` or `chunked, gzip` do not, and a server reads the body as the next request).
    static func endsChunked(_ value: [UInt8]) -> Bool {
        let last = value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).last ?? []
        let trimmed = last.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return trimmed.count == 7 && String(decoding: trimmed, as: UTF8.self).lowercased() == "chunked"
    }
}
