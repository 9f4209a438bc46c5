// One field-aware mutation of a parsed request. Each mutation names what it did; one that does
// not apply to this request (no integer to push to an edge, no unit to repeat) is not drawn.

import Framing
import Vocabulary

struct FieldEditor {
    var fields: RequestFields
    let mutator: ContentMutator

    // Which fields each mutation works on, found once: a mutation is drawn among those whose
    // fields exist. (Indices into the fields as parsed; a mutation changes one field or, for
    // units, the list itself, and is the last thing done with them.)
    private let integers: [Int]
    private let lengths: [Int]
    private let texts: [Int]
    private let syntax: [Int]
    /// Arguments, values, words: what a request says, as opposed to its lengths and counts.
    private let contents: [Int]
    private let groups: [(group: Int, indices: [Int])]

    init(fields: RequestFields, mutator: ContentMutator) {
        self.fields = fields
        self.mutator = mutator
        let all = fields.fields
        integers = all.indices.filter { all[$0].isInteger }
        lengths = all.indices.filter { all[$0].lengthOf != nil }
        texts = all.indices.filter {
            switch all[$0].kind {
            case .token, .value, .decimal, .hexadecimal: return true
            case .syntax, .binary: return false
            }
        }
        syntax = all.indices.filter { all[$0].kind == .syntax && !all[$0].bytes.isEmpty }
        contents = all.indices.filter { all[$0].kind == .token || all[$0].kind == .value }
        groups = fields.groups
    }

    private enum Kind: CaseIterable {
        case edgeInteger, lyingLength, repeatUnit, removeUnit, flipCase, injectDelimiter, removeDelimiter,
             longValue, emptyValue, formatString, invalidUTF8, splice, dictionaryToken
    }

    /// Applies one mutation drawn among those that apply; nil when none does.
    mutating func mutate(using random: inout SeededRandom) -> String? {
        let applicable = Kind.allCases.filter(applies)
        guard !applicable.isEmpty else { return nil }
        switch applicable[random.int(in: 0...(applicable.count - 1))] {
        case .edgeInteger: return edgeInteger(&random)
        case .lyingLength: return lyingLength(&random)
        case .repeatUnit: return repeatUnit(&random)
        case .removeUnit: return removeUnit(&random)
        case .flipCase: return flipCase(&random)
        case .injectDelimiter: return injectDelimiter(&random)
        case .removeDelimiter: return removeDelimiter(&random)
        case .longValue: return longValue(&random)
        case .emptyValue: return emptyValue(&random)
        case .formatString: return replaceText(&random, with: InterestingValues.formatStrings.map { Array($0.utf8) }, "format string")
        case .invalidUTF8: return insertBytes(&random, InterestingValues.invalidUTF8, "invalid UTF-8")
        case .splice: return splice(&random)
        case .dictionaryToken: return replaceText(&random, with: mutator.tokens, "token")
        }
    }

    private func applies(_ kind: Kind) -> Bool {
        switch kind {
        case .edgeInteger: return !integers.isEmpty
        case .lyingLength: return !lengths.isEmpty
        case .repeatUnit, .removeUnit: return !groups.isEmpty
        case .flipCase: return texts.contains { fields.fields[$0].bytes.contains(where: Self.isLetter) }
        case .injectDelimiter, .longValue, .formatString, .invalidUTF8: return !texts.isEmpty
        case .emptyValue: return contents.contains { !fields.fields[$0].bytes.isEmpty }
        case .removeDelimiter: return !syntax.isEmpty
        case .splice: return mutator.pool.count > 0 && !texts.isEmpty
        case .dictionaryToken: return !mutator.tokens.isEmpty && !texts.isEmpty
        }
    }

    // MARK: the mutations

    private mutating func edgeInteger(_ random: inout SeededRandom) -> String {
        let i = pick(integers, &random)
        let field = fields.fields[i]
        let old = Self.text(field)
        let new: [UInt8]
        switch field.kind {
        case .binary(let width, let bigEndian):
            var choices = InterestingValues.binaries(width: width)
            if let value = field.integerValue { choices += [UInt64(value) &+ 1, UInt64(value) &- 1] }
            new = RequestField.binary(pick(choices, &random), width: width, bigEndian: bigEndian)
        case .hexadecimal:
            new = Array(pick(InterestingValues.hexadecimals, &random).utf8)
        default:
            var choices = InterestingValues.decimals
            if let value = field.integerValue { choices += [String(value &+ 1), String(value &- 1)] }
            new = Array(pick(choices, &random).utf8)
        }
        fields.set(i, to: new, keepLengths: false)
        return "\(field.name) \(old) -> \(Self.text(fields.fields[i]))"
    }

    /// A length that disagrees with what it counts, by a little or a lot.
    private mutating func lyingLength(_ random: inout SeededRandom) -> String {
        let i = pick(lengths, &random)
        let field = fields.fields[i]
        let actual = fields.fields[field.lengthOf!].bytes.count
        let lie = pick([actual + 1, actual - 1, actual + 2, actual * 2 + 1, 0, actual + 4096, actual + (1 << 20)].filter { $0 != actual && $0 >= 0 }, &random)
        fields.set(i, to: field.encoded(lie), keepLengths: false)
        return "\(field.name) \(Self.text(field)) -> \(Self.text(fields.fields[i])) (\(actual) bytes follow)"
    }

    private mutating func repeatUnit(_ random: inout SeededRandom) -> String {
        let (_, members) = pick(groups, &random)
        let unit = members.map { fields.fields[$0] }
        let unitSize = max(1, unit.reduce(0) { $0 + $1.bytes.count })
        let times = min(pick(InterestingValues.repetitions, &random), max(2, ContentMutator.maxGrowth / unitSize))
        var copies: [RequestField] = []
        // Each copy is a unit of its own (a fresh group), so counts of units see it.
        var nextGroup = (fields.fields.compactMap(\.group).max() ?? 0) + 1
        for _ in 1..<times {
            copies += unit.map { var f = $0; f.lengthOf = nil; f.group = nextGroup; return f }
            nextGroup += 1
        }
        let at = members.last! + 1
        for j in fields.fields.indices { if let t = fields.fields[j].lengthOf, t >= at { fields.fields[j].lengthOf = t + copies.count } }
        fields.fields.insert(contentsOf: copies, at: at)
        let counted = random.int(in: 0...1) == 0 ? recount() : ""
        return "\(Self.unitName(unit)) repeated \(times) times\(counted)"
    }

    private mutating func removeUnit(_ random: inout SeededRandom) -> String {
        let (_, members) = pick(groups, &random)
        let unit = members.map { fields.fields[$0] }
        for i in members.reversed() { fields.fields.remove(at: i) }
        relink(removed: members)
        let counted = random.int(in: 0...1) == 0 ? recount() : ""
        return "\(Self.unitName(unit)) removed\(counted)"
    }

    private mutating func flipCase(_ random: inout SeededRandom) -> String {
        let i = pick(texts.filter { fields.fields[$0].bytes.contains(where: Self.isLetter) }, &random)
        let old = fields.fields[i].bytes
        let how = random.int(in: 0...3)
        var new = old
        switch how {
        case 0: new = old.map { Self.isLetter($0) ? $0 & ~0x20 : $0 }
        case 1: new = old.map { Self.isLetter($0) ? $0 | 0x20 : $0 }
        case 2: new = old.map { Self.isLetter($0) ? $0 ^ 0x20 : $0 }
        default:
            let letters = old.indices.filter { Self.isLetter(old[$0]) }
            let at = pick(letters, &random)
            new[at] ^= 0x20
        }
        fields.set(i, to: new, keepLengths: true)
        return "\(fields.fields[i].name) case \(Self.quoted(old)) -> \(Self.quoted(new))"
    }

    private mutating func injectDelimiter(_ random: inout SeededRandom) -> String {
        insertBytes(&random, InterestingValues.delimiters, "delimiter")
    }

    private mutating func removeDelimiter(_ random: inout SeededRandom) -> String {
        let i = pick(syntax, &random)
        let old = fields.fields[i].bytes
        var new = old
        // The whole delimiter, or one byte of it (a CR LF left as a lone LF).
        if old.count > 1 && random.int(in: 0...1) == 0 { new.remove(at: random.int(in: 0...(old.count - 1))) } else { new = [] }
        fields.fields[i].bytes = new
        return "\(fields.fields[i].name) \(Self.quoted(old)) -> \(Self.quoted(new))"
    }

    /// An argument, value or word made empty, its length kept true: the other edge of a value's
    /// size (an empty key, an empty ECHO, an empty header value).
    private mutating func emptyValue(_ random: inout SeededRandom) -> String {
        let i = pick(contents.filter { !fields.fields[$0].bytes.isEmpty }, &random)
        let name = fields.fields[i].name
        fields.set(i, to: [], keepLengths: true)
        return "\(name) made empty"
    }

    private mutating func longValue(_ random: inout SeededRandom) -> String {
        let i = pickText(&random)
        let old = fields.fields[i].bytes
        let length = pick(InterestingValues.longLengths, &random)
        var new: [UInt8]
        if old.isEmpty || random.int(in: 0...1) == 0 {
            new = Array(repeating: UInt8(ascii: "A"), count: length)
        } else {
            // The value itself, over and over: what a client that loops on a buffer sends.
            new = old
            while new.count < length { new += new }  // doubling: a few copies, not one per repeat
            new.removeLast(new.count - length)
        }
        let keep = random.int(in: 0...3) > 0
        fields.set(i, to: new, keepLengths: keep)
        return "\(fields.fields[i].name) made \(length) bytes long" + (keep ? "" : " (its length left as it was)")
    }

    /// Replaces a text field with one of `choices`, or puts one inside it.
    private mutating func replaceText(_ random: inout SeededRandom, with choices: [[UInt8]], _ what: String) -> String? {
        guard !choices.isEmpty else { return nil }
        let i = pickText(&random)
        let choice = pick(choices, &random)
        let old = fields.fields[i].bytes
        var new = choice
        if random.int(in: 0...1) == 0 {
            new = old
            new.insert(contentsOf: choice, at: random.int(in: 0...old.count))
        }
        fields.set(i, to: new, keepLengths: random.int(in: 0...3) > 0)
        return "\(fields.fields[i].name) \(Self.quoted(old)) -> \(Self.quoted(new)) (\(what))"
    }

    /// Puts one of `choices` into a text field, at a random place.
    private mutating func insertBytes(_ random: inout SeededRandom, _ choices: [[UInt8]], _ what: String) -> String {
        let i = pickText(&random)
        let choice = pick(choices, &random)
        var new = fields.fields[i].bytes
        let at = random.int(in: 0...new.count)
        new.insert(contentsOf: choice, at: at)
        fields.set(i, to: new, keepLengths: random.int(in: 0...3) > 0)
        return "\(what) \(Self.quoted(choice)) into \(fields.fields[i].name) at byte \(at)"
    }

    /// A field from another request of the pool: its same-named field where it has one.
    private mutating func splice(_ random: inout SeededRandom) -> String? {
        let donor = pick(mutator.pool, &random)
        guard let other = mutator.parsed(donor) else { return nil }
        let i = pickText(&random)
        let name = fields.fields[i].name
        let sameName = other.fields.filter { $0.name == name && $0.kind != .syntax }
        let candidates = sameName.isEmpty ? other.fields.filter { $0.kind != .syntax && !$0.bytes.isEmpty } : sameName
        guard !candidates.isEmpty else { return nil }
        let graft = pick(candidates, &random)
        fields.set(i, to: graft.bytes, keepLengths: random.int(in: 0...3) > 0)
        return "\(name) spliced from another request's \(graft.name): \(Self.quoted(graft.bytes))"
    }

    /// A text field to change: three times in four what the request says, otherwise any text
    /// field, a length or a count included (they have mutations of their own too).
    private func pickText(_ random: inout SeededRandom) -> Int {
        !contents.isEmpty && random.int(in: 0...3) > 0 ? pick(contents, &random) : pick(texts, &random)
    }

    // MARK: keeping links and counts right

    /// After fields were removed, the length links point at shifted indices: shift them, and
    /// drop links to what is gone.
    private mutating func relink(removed: [Int]) {
        for j in fields.fields.indices {
            guard let target = fields.fields[j].lengthOf else { continue }
            if removed.contains(target) { fields.fields[j].lengthOf = nil; continue }
            fields.fields[j].lengthOf = target - removed.filter { $0 < target }.count
        }
    }

    /// Rewrites the counts of units (a RESP array count) to the units there are now.
    private mutating func recount() -> String {
        let units = fields.groups.count
        var said = ""
        for j in fields.fields.indices where fields.fields[j].countsGroups {
            fields.fields[j].bytes = fields.fields[j].encoded(units)
            said = ", \(fields.fields[j].name) set to \(units)"
        }
        return said
    }

    // MARK: words

    private func pick<T>(_ choices: [T], _ random: inout SeededRandom) -> T {
        choices[random.int(in: 0...(choices.count - 1))]
    }

    static func isLetter(_ b: UInt8) -> Bool { (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) }

    static func text(_ field: RequestField) -> String {
        if case .binary = field.kind, let value = field.integerValue { return String(value) }
        if case .binary = field.kind { return "0x" + field.bytes.map { String($0, radix: 16) }.joined() }
        return quoted(field.bytes, quotes: false)
    }

    static func unitName(_ unit: [RequestField]) -> String {
        guard let name = (unit.first { $0.kind != .syntax } ?? unit.first)?.name else { return "unit" }
        for suffix in [" name", " length", " size"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// Bytes as short escaped text: printable ASCII as is, the rest as escapes, long runs cut.
    static func quoted(_ bytes: [UInt8], quotes: Bool = true) -> String {
        var text = ByteEscaping.escaped(bytes.prefix(40))
        if bytes.count > 40 { text += "...(\(bytes.count) bytes)" }
        return quotes ? "\"\(text)\"" : text
    }
}
