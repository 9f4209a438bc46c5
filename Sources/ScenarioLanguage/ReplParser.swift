// Line-at-a-time parsing for the interactive shell: the checker state (known groups and their
// sizes) persists across entries, `repeat N {` opens a multi-line block, and a bad line changes nothing.

/// What a REPL line amounted to.
public enum ReplLine: Sendable, Equatable {
    /// Blank or comment only.
    case empty
    /// Inside an open `repeat` block: keep reading lines (`depth` blocks are open).
    case incomplete(depth: Int)
    /// A top-level statement is complete and ready to run (a closed `repeat` arrives whole).
    case complete(Statement)
}

public struct ReplParser: Sendable {
    /// The name used in locations and as the base for relative includes (its directory, if any).
    public let file: String
    /// The line number the next `parseLine` call gets when none is given.
    public private(set) var nextLine = 1
    /// Known groups and their statically known sizes, as the checker sees them.
    public var groups: [String: Int] {
        get { state.state.groups.sizes }
        set { state.state.groups = GroupTable(newValue) }
    }

    /// The machine's bounds the checker enforces (see `CheckLimits`).
    public var limits: CheckLimits { state.state.limits }

    /// How many `repeat` blocks are open (0 at the top level): a prompt can show it.
    public var openBlocks: Int { blocks.depth }

    private var state: SourceParser
    private var blocks = BlockStack()
    private let loader: @Sendable (String) throws -> String

    public init(file: String = "<repl>", knownGroups: [String: Int] = [:], limits: CheckLimits = .none,
                loader: @escaping @Sendable (String) throws -> String = ScenarioParser.readFile) {
        self.file = file
        self.loader = loader
        state = SourceParser(state: CheckState(groups: GroupTable(knownGroups), limits: limits),
                             includeStack: [ScenarioPaths.normalize(file)])
    }

    /// Parses one line. On error nothing changes (the group table, open blocks), so the user can
    /// simply retype the line.
    public mutating func parseLine(_ text: String, line: Int? = nil) throws(ScenarioError) -> ReplLine {
        let number = line ?? nextLine
        nextLine = number + 1
        var state = self.state
        var blocks = self.blocks
        let tokens = try Lexer.tokenize(line: text, number: number, file: file)
        if tokens.isEmpty { return blocks.depth > 0 ? .incomplete(depth: blocks.depth) : .empty }
        try state.parseLine(tokens, file: file, blocks: &blocks, loader: loader)
        let done = blocks.drainTop()
        self.state = state
        self.blocks = blocks
        // A single line completes at most one top-level statement.
        if let statement = done.first { return .complete(statement) }
        return .incomplete(depth: blocks.depth)
    }

    /// The end of the input: an open `repeat` block there is the error `sockfuzz run` gives for a
    /// file that ends inside one (piped input is a file read line by line).
    public func finish() throws(ScenarioError) {
        _ = try blocks.finish()
    }

    /// Abandons open `repeat` blocks (say, on Ctrl-C), forgetting the connects typed inside them.
    public mutating func cancelBlock() {
        if let before = blocks.cancel() { state.state.groups = before }
    }
}
