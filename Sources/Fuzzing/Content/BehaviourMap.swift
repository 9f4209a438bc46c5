// The campaign's map of what it has seen the server do: reply classes, and transitions between
// classes on one connection (from `<start>` through each reply to how the connection ended).
// An execution that adds to it showed new behaviour, and its input joins the corpus. The count
// over time is the campaign's progress (the curve in its reports).

public struct BehaviourMap: Sendable {
    public private(set) var classes: Set<String> = []
    public private(set) var transitions: Set<String> = []
    /// (seconds into the campaign, runs, classes, transitions), once per change.
    public private(set) var curve: [CurvePoint] = []

    public init() {}

    public struct CurvePoint: Sendable, Codable, Equatable {
        public var seconds: Double
        public var runs: Int
        public var classes: Int
        public var transitions: Int
    }

    /// Records one connection's sequence of classes; how many classes and transitions were new.
    @discardableResult
    public mutating func record(_ sequence: [String], seconds: Double, runs: Int) -> Int {
        var new = 0
        var previous = ReplyClass.start
        for cls in sequence {
            if classes.insert(cls).inserted { new += 1 }
            if transitions.insert(previous + " -> " + cls).inserted { new += 1 }
            previous = cls
        }
        if new > 0 {
            curve.append(CurvePoint(seconds: seconds, runs: runs, classes: classes.count, transitions: transitions.count))
        }
        return new
    }
}
