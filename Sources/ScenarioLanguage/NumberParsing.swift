// The language's side of value parsing: Vocabulary's `ValueParser` reads the word, and its
// errors are placed at the file, line and column of the offending character.

enum NumberParsing {
    /// Runs `parse` on a word that starts at `location`, locating any error inside the word.
    private static func located<T>(_ location: SourceLocation, _ parse: () throws(ValueError) -> T) throws(ScenarioError) -> T {
        do { return try parse() } catch {
            throw ScenarioError(error.message, at: location.advanced(by: error.offset))
        }
    }

    static func duration(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> ScenarioDuration {
        try located(location) { () throws(ValueError) in try ValueParser.duration(text) }
    }

    static func size(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> ByteSize {
        try located(location) { () throws(ValueError) in try ValueParser.size(text) }
    }

    static func count(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> Int {
        try located(location) { () throws(ValueError) in try ValueParser.count(text) }
    }

    static func number(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> Int {
        try located(location) { () throws(ValueError) in try ValueParser.number(text) }
    }

    /// `lo..hi` (closed, lo <= hi) or a single value standing for `v..v`.
    static func range<T: Comparable>(
        _ text: Substring, at location: SourceLocation,
        element: (Substring, SourceLocation) throws(ScenarioError) -> T
    ) throws(ScenarioError) -> ClosedRange<T> {
        // The element parser locates its own errors; the range's own error is at the word.
        guard let dots = text.firstRange(of: "..") else {
            let v = try element(text, location)
            return v...v
        }
        let loText = text[..<dots.lowerBound]
        let lo = try element(loText, location)
        let hi = try element(text[dots.upperBound...], location.advanced(by: loText.unicodeScalars.count + 2))
        guard lo <= hi else {
            throw ScenarioError("empty range '\(text)': the low end is above the high end", at: location)
        }
        return lo...hi
    }

    static func rate(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> Rate {
        try located(location) { () throws(ValueError) in try ValueParser.rate(text) }
    }

    static func seed(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> UInt64 {
        try located(location) { () throws(ValueError) in try ValueParser.seed(text) }
    }

    static func port(_ text: Substring, at location: SourceLocation, range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        try located(location) { () throws(ValueError) in try ValueParser.port(text, range: range) }
    }

    static func plainInteger(_ text: Substring) -> Int? { ValueParser.plainInteger(text) }
}
