// The request file of `load --request-file`, `fuzz --request-file` and the `fuzz` statement's
// `request-file=`: one request a line, written with the language's escapes (`PING\r\n`), an
// optional weight in front (`3*GET k\r\n`), blank lines and `#` comments skipped.

public enum RequestFile {
    public struct Problem: Error {
        public var line: Int
        public var message: String
    }

    /// The requests in file order with their weights (1 where none is written).
    public static func parse(_ text: String) throws(Problem) -> (requests: [[UInt8]], weights: [Int]) {
        var requests: [[UInt8]] = []
        var weights: [Int] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.first == "#" { continue }
            var weight = 1
            if let star = line.firstIndex(of: "*"), star > line.startIndex, line[..<star].allSatisfy(\.isASCIIDigit) {
                guard let w = Int(line[..<star]), w >= 1, w <= 1000 else {
                    throw Problem(line: index + 1, message: "weight '\(line[..<star])' must be 1 to 1000")
                }
                weight = w
                line = line[line.index(after: star)...]
            }
            let bytes: [UInt8]
            do { bytes = try ArgumentValues.escapedBytes(String(line)) } catch {
                throw Problem(line: index + 1, message: error.message)
            }
            guard !bytes.isEmpty else { throw Problem(line: index + 1, message: "an empty request after its weight") }
            requests.append(bytes)
            weights.append(weight)
        }
        guard !requests.isEmpty else { throw Problem(line: 1, message: "no request in the file (one a line, e.g. PING\\r\\n)") }
        return (requests, weights)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
