// One set type for both "what I want" and "what fired", so kernel bit names never leave a backend.

public struct IOEvents: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: 1 << 0)
    public static let writable = IOEvents(rawValue: 1 << 1)
    /// The peer hung up or the socket has a pending error. Backends also set readable and
    /// writable with it, so a handler meets the condition through its own read() or write().
    public static let hangup = IOEvents(rawValue: 1 << 2)

    public static let none: IOEvents = []
    public static let readWrite: IOEvents = [.readable, .writable]

    public var description: String {
        var parts: [String] = []
        if contains(.readable) { parts.append("r") }
        if contains(.writable) { parts.append("w") }
        if contains(.hangup) { parts.append("hup") }
        return parts.isEmpty ? "-" : parts.joined(separator: "|")
    }
}

/// One readiness report from a backend.
public struct FiredEvent: Sendable, Equatable {
    public var fd: Int32
    public var events: IOEvents
    public init(fd: Int32, events: IOEvents) {
        self.fd = fd
        self.events = events
    }
}
