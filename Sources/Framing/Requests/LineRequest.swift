// A request that is one line of words (`GET key\r\n`, memcached's `get k`, a RESP inline
// command), or one payload before a delimiter. Words are what a line protocol gives meaning
// to: each is a field, and so is each run of blanks between them, so the line renders back
// exactly however it was spaced.

enum LineRequest {
    /// `delimiter` nil: a line ending in LF or CR LF. Otherwise the payload before it.
    static func parse(_ r: inout RequestReader, delimiter: [UInt8]?) -> Bool {
        guard let delimiter else {
            guard let length = r.lineLength() else { return false }
            words(&r, length)
            r.take(.syntax, "line end", r.lineEnd()!)
            return true
        }
        guard let length = distance(of: delimiter, in: r) else { return false }
        if length > 0 { r.take(.value, "payload", length) }
        r.take(.syntax, "delimiter", delimiter.count)
        return true
    }

    /// The next `length` bytes as words and the blanks between them.
    static func words(_ r: inout RequestReader, _ length: Int) {
        // Run boundaries first, over the bytes themselves (a word may be a 1 MiB value).
        let start = r.position
        let runs: [(blank: Bool, count: Int)] = r.bytes[start..<(start + length)].withUnsafeBufferPointer { line in
            var runs: [(blank: Bool, count: Int)] = []
            var i = 0
            while i < line.count {
                let blank = isBlank(line[i])
                var j = i + 1
                while j < line.count && isBlank(line[j]) == blank { j += 1 }
                runs.append((blank, j - i))
                i = j
            }
            return runs
        }
        var word = 0
        for run in runs {
            if run.blank {
                r.take(.syntax, "blank", run.count)
            } else {
                word += 1
                let group = r.newGroup()
                r.take(word == 1 ? .token : wordKind(r, run.count), "word \(word)", run.count, group: group)
            }
        }
    }

    private static func wordKind(_ r: RequestReader, _ length: Int) -> RequestField.Kind {
        // Digits past 64 bits are still an integer to the protocol (and a classic overflow).
        guard length <= 64 else { return .value }  // no integer is written in more digits than that
        let text = r.bytes[r.position..<(r.position + length)]
        let digits = text.first == UInt8(ascii: "-") ? text.dropFirst() : text
        return !digits.isEmpty && digits.allSatisfy { (0x30...0x39).contains($0) } ? .decimal : .value
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    private static func distance(of delimiter: [UInt8], in r: RequestReader) -> Int? {
        guard let first = delimiter.first else { return nil }
        var offset = 0
        while offset + delimiter.count <= r.remaining {
            if r.peek(offset) == first && (0..<delimiter.count).allSatisfy({ r.peek(offset + $0) == delimiter[$0] }) {
                return offset
            }
            offset += 1
        }
        return nil
    }
}
