// The public entry point and the driver that turns a whole source into statements: it feeds
// lines to the command parser, keeps the `repeat { }` block stack and resolves `include`s.

import Foundation

public enum ScenarioParser {
    /// The default loader: reads a UTF-8 file (comments may hold any bytes: `Lexer.decode`).
    public static func readFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileReadUnknown) }
        return try Lexer.decode([UInt8](data), file: path)
    }

    /// Parses and checks a whole scenario. `file` names the source in locations and is the base for
    /// relative `include` paths; `loader` gets each resolved include path and returns its text.
    /// `knownGroups` seeds the checker (group name -> members), e.g. from an earlier session.
    /// `limits` are the machine's bounds (see `CheckLimits`); none by default.
    public static func parse(
        source: String, file: String, knownGroups: [String: Int] = [:], limits: CheckLimits = .none,
        loader: (String) throws -> String = readFile
    ) throws(ScenarioError) -> Program {
        var parser = SourceParser(state: CheckState(groups: GroupTable(knownGroups), limits: limits),
                                  includeStack: [ScenarioPaths.normalize(file)])
        return Program(statements: try parser.parse(source: source, file: file, loader: loader))
    }

    /// Reads `path` with `loader` and parses it; an unreadable file is an error located at `path:1:1`.
    public static func parseFile(_ path: String, limits: CheckLimits = .none,
                                 loader: (String) throws -> String = readFile) throws(ScenarioError) -> Program {
        let source: String
        do {
            source = try loader(path)
        } catch let located as ScenarioError {
            throw located
        } catch {
            throw ScenarioError("cannot read scenario file '\(path)'", at: SourceLocation(file: path, line: 1, column: 1))
        }
        return try parse(source: source, file: path, limits: limits, loader: loader)
    }
}

/// Parser state that spans lines and files: the checker's state and the include chain.
struct SourceParser {
    var state: CheckState
    /// Normalized paths of the files being parsed, outermost first (for cycle detection).
    var includeStack: [String]

    /// Deep enough for any real scenario library, shallow enough to stop runaway recursion
    /// when a loader invents a new path for every include.
    static let maxIncludeDepth = 64
    static let maxBlockDepth = 100

    mutating func parse(source: String, file: String, loader: (String) throws -> String) throws(ScenarioError) -> [Statement] {
        var blocks = BlockStack()
        for (offset, line) in Lexer.lines(of: source).enumerated() {
            let tokens = try Lexer.tokenize(line: line, number: offset + 1, file: file)
            guard !tokens.isEmpty else { continue }
            try parseLine(tokens, file: file, blocks: &blocks, loader: loader)
        }
        return try blocks.finish()
    }

    /// One non-empty line into `blocks`.
    mutating func parseLine(
        _ tokens: [Token], file: String, blocks: inout BlockStack, loader: (String) throws -> String
    ) throws(ScenarioError) {
        let location = tokens[0].location
        switch try CommandParser.parse(tokens, state: &state) {
        case .command(let command):
            blocks.append(Statement(command: command, location: location))
        case .include(let path, let pathToken):
            let body = try include(path, at: pathToken.location, from: file, loader: loader)
            blocks.append(Statement(command: .include(path: path, body: body), location: location))
        case .openRepeat(let count):
            // Deeper blocks say nothing a scenario needs, and every layer that walks the tree
            // (checker, runner, renderer) recurses: 5,000 levels overflowed the stack.
            guard blocks.depth < Self.maxBlockDepth else {
                throw ScenarioError("'repeat' blocks nested more than \(Self.maxBlockDepth) deep", at: location)
            }
            blocks.open(count: count, at: location, groups: state.groups)
        case .closeBlock:
            try blocks.close(at: location, groups: &state.groups)
        }
    }

    private mutating func include(
        _ path: String, at location: SourceLocation, from file: String, loader: (String) throws -> String
    ) throws(ScenarioError) -> [Statement] {
        let resolved = ScenarioPaths.resolve(path, relativeTo: file)
        if let start = includeStack.firstIndex(of: resolved) {
            let chain = (includeStack[start...] + [resolved]).joined(separator: " -> ")
            throw ScenarioError("include cycle: \(chain)", at: location)
        }
        if includeStack.count > Self.maxIncludeDepth {
            throw ScenarioError("includes nested more than \(Self.maxIncludeDepth) deep", at: location)
        }
        let text: String
        do {
            text = try loader(resolved)
        } catch let located as ScenarioError {
            throw located
        } catch {
            throw ScenarioError("cannot read included file '\(resolved)'", at: location)
        }
        includeStack.append(resolved)
        defer { includeStack.removeLast() }
        return try parse(source: text, file: resolved, loader: loader)
    }
}

/// Open `repeat N {` blocks. Each frame remembers the group table from before the block so the
/// checker can multiply what one pass of the body connected by N when the block closes.
struct BlockStack: Sendable {
    struct Frame: Sendable {
        var count: Int
        var location: SourceLocation
        var groupsBefore: GroupTable
        var body: [Statement] = []
    }

    private(set) var frames: [Frame] = []
    private(set) var top: [Statement] = []

    var depth: Int { frames.count }

    mutating func append(_ statement: Statement) {
        if frames.isEmpty {
            top.append(statement)
        } else {
            frames[frames.count - 1].body.append(statement)
        }
    }

    mutating func open(count: Int, at location: SourceLocation, groups: GroupTable) {
        frames.append(Frame(count: count, location: location, groupsBefore: groups))
    }

    mutating func close(at location: SourceLocation, groups: inout GroupTable) throws(ScenarioError) {
        guard let frame = frames.popLast() else {
            throw ScenarioError("'}' without a matching 'repeat N {'", at: location)
        }
        groups = GroupTable.repeated(from: frame.groupsBefore, to: groups, count: frame.count)
        append(Statement(command: .repeat(count: frame.count, body: frame.body), location: frame.location))
    }

    /// The statements, once every block is closed.
    func finish() throws(ScenarioError) -> [Statement] {
        if let open = frames.last {
            throw ScenarioError("unclosed 'repeat' block: no '}' before the end of the file", at: open.location)
        }
        return top
    }

    /// Takes the completed top-level statements (the REPL hands them out as they complete).
    mutating func drainTop() -> [Statement] {
        defer { top.removeAll() }
        return top
    }

    /// Drops open blocks, returning the group table from before the outermost one.
    mutating func cancel() -> GroupTable? {
        defer { frames.removeAll() }
        return frames.first?.groupsBefore
    }
}
