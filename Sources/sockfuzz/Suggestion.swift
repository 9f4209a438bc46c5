// "Did you mean": the closest of some words to a mistyped one, for console commands and for
// the command line's subcommands.

enum Suggestion {
    /// The closest word (at most 2 edits, a swap of two neighbouring letters counting as one).
    /// Ties go to the word sharing more letters with the typed one (`sned`: `send` over
    /// `seed`), then to the earlier word.
    static func closest(to word: String, among words: [String]) -> String? {
        let candidates = words.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= 2 }
        return candidates.min { a, b in
            a.1 != b.1 ? a.1 < b.1 : sharedLetters(word, a.0) > sharedLetters(word, b.0)
        }?.0
    }

    /// How many letters two words have in common, counted with repeats.
    private static func sharedLetters(_ a: String, _ b: String) -> Int {
        var counts: [Character: Int] = [:]
        for c in a { counts[c, default: 0] += 1 }
        var shared = 0
        for c in b where counts[c, default: 0] > 0 {
            counts[c]! -= 1
            shared += 1
        }
        return shared
    }

    /// Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    /// substitutions and swaps of two neighbouring characters each cost one.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], twoBack[j - 2] + 1)
                }
            }
            twoBack = previous
            previous = current
        }
        return previous[b.count]
    }
}
