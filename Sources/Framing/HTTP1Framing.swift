// HTTP/1.x responses: where each response at the front of the buffer ends. The header section
// says how the body ends (Content-Length, chunked, or the connection's close); 1xx responses
// are frames of their own; responses to HEAD and 204/304 have no body; after 101 the rest of
// the stream is another protocol and is passed on raw.

import DequeModule

struct HTTP1State: Sendable {
    /// Whether each request whose response has not arrived yet is HEAD, oldest first. A deque:
    /// a deep pipeline takes its oldest entry off the front per response, in O(1).
    var pendingHEAD: Deque<Bool> = []
    /// After `101 Switching Protocols`: the stream is no longer HTTP.
    var switched = false
}

enum HTTP1Framing {
    static func next(_ b: inout FrameBuffer, _ state: inout HTTP1State, max: Int, atEOF: Bool) throws(FramingError) -> Frame? {
        if state.switched { return b.take(b.count) }
        guard let headerEnd = try headerSectionEnd(b, max: max) else { return nil }
        let head = try parseHead(b, headerEnd)
        if (100...199).contains(head.status) {
            if head.status == 101 { state.switched = true }
            return b.take(headerEnd, payload: headerEnd..<headerEnd)
        }
        let bodyless = state.pendingHEAD.first == true || head.status == 204 || head.status == 304
        let end: Int
        if bodyless {
            end = headerEnd
        } else if head.chunked {
            guard let e = try chunkedEnd(b, from: headerEnd, max: max) else { return nil }
            end = e
        } else if let length = head.contentLength {
            guard length <= max else { throw FramingError("Content-Length \(length) is over the limit of \(max)", at: b.streamOffset) }
            guard b.count >= headerEnd + length else { return nil }
            end = headerEnd + length
        } else {
            // Delimited by the close: complete only at EOF.
            if b.count - headerEnd > max { throw FramingError("close-delimited body over the limit of \(max)", at: b.offset(headerEnd)) }
            guard atEOF else { return nil }
            end = b.count
        }
        _ = state.pendingHEAD.popFirst()
        return b.take(end, payload: headerEnd..<end)
    }

    struct Head {
        var status: Int
        var contentLength: Int?
        var chunked = false
    }

    /// Index after the blank line that ends the header section (CRLF CRLF, or bare LFs).
    static func headerSectionEnd(_ b: FrameBuffer, max: Int) throws(FramingError) -> Int? {
        var from = 0
        while let lf = b.firstLF(from: from) {
            // The line after this LF is empty when it is "\r\n" or "\n".
            if lf + 1 < b.count && b[lf + 1] == 0x0a { return lf + 2 }
            if lf + 2 < b.count && b[lf + 1] == 0x0d && b[lf + 2] == 0x0a { return lf + 3 }
            if lf + 2 >= b.count && (lf + 1 == b.count || b[lf + 1] == 0x0d) { return nil }
            from = lf + 1
        }
        if b.count > max { throw FramingError("no end of the header section within \(max) bytes", at: b.streamOffset) }
        return nil
    }

    static func parseHead(_ b: FrameBuffer, _ end: Int) throws(FramingError) -> Head {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        while start < end, let lf = b.firstLF(from: start), lf < end {
            var line = b.bytes(start..<lf)
            if line.last == 0x0d { line = line.dropLast() }
            if !line.isEmpty { lines.append(line) }
            start = lf + 1
        }
        guard let statusLine = lines.first else { throw FramingError("empty header section", at: b.streamOffset) }
        let text = String(decoding: statusLine, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[0].count == 8,
              parts[1].count == 3, let status = Int(parts[1]), (100...999).contains(status) else {
            throw FramingError("not an HTTP/1 status line: \(FrameText.render(Array(statusLine), limit: 64))", at: b.streamOffset)
        }
        var head = Head(status: status)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw FramingError("header line without ':': \(FrameText.render(Array(line), limit: 64))", at: b.streamOffset)
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingBlanks()
            switch name {
            case "content-length":
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value) else {
                    throw FramingError("bad Content-Length '\(value)'", at: b.streamOffset)
                }
                if let earlier = head.contentLength, earlier != n {
                    throw FramingError("conflicting Content-Length \(earlier) and \(n)", at: b.streamOffset)
                }
                head.contentLength = n
            case "transfer-encoding":
                head.chunked = value.lowercased().split(separator: ",").last.map { $0.trimmingBlanks() == "chunked" } ?? false
            default:
                break
            }
        }
        return head
    }

    /// Index after the last chunk and its trailers, nil when incomplete.
    static func chunkedEnd(_ b: FrameBuffer, from start: Int, max: Int) throws(FramingError) -> Int? {
        var at = start
        while true {
            guard let lf = b.firstLF(from: at) else {
                if b.count - at > 1024 { throw FramingError("chunk size line longer than 1024 bytes", at: b.offset(at)) }
                return nil
            }
            var size = 0
            var digits = 0
            var i = at
            while i < lf, let v = hexValue(b[i]) {
                size = size &* 16 &+ v
                digits += 1
                i += 1
                guard digits <= 15 else { throw FramingError("chunk size too large", at: b.offset(at)) }
            }
            guard digits > 0 else { throw FramingError("chunk size is not hexadecimal", at: b.offset(at)) }
            guard at - start + size <= max else { throw FramingError("chunked body over the limit of \(max)", at: b.offset(at)) }
            at = lf + 1
            if size == 0 {
                // Trailer fields, then an empty line.
                while true {
                    guard let end = b.firstLF(from: at) else { return nil }
                    let empty = end == at || (end == at + 1 && b[at] == 0x0d)
                    at = end + 1
                    if empty { return at }
                }
            }
            guard b.count >= at + size + 1 else { return nil }
            at += size
            if b[at] == 0x0d {
                guard b.count >= at + 2 else { return nil }
                guard b[at + 1] == 0x0a else { throw FramingError("chunk data not followed by CRLF", at: b.offset(at)) }
                at += 2
            } else if b[at] == 0x0a {
                at += 1
            } else {
                throw FramingError("chunk data not followed by CRLF", at: b.offset(at))
            }
        }
    }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (no Foundation in this target).
    func trimmingBlanks() -> String {
        let blanks: Set<Character> = [" ", "\t"]
        var s = Substring(self)
        while let f = s.first, blanks.contains(f) { s = s.dropFirst() }
        while let l = s.last, blanks.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
