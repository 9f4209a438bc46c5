// Canonical text of the quantities: the largest unit that keeps the value exact, so every
// rendering parses back to an equal value (1.5s renders as 1500ms).

public enum ValueText {
    public static func duration(_ d: ScenarioDuration) -> String {
        let ns = d.nanoseconds
        if ns == 0 { return "0" }
        // The largest unit that divides exactly, so nothing is lost: 1.5s renders as 1500ms.
        for (unit, size) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000),
                             ("ms", 1_000_000), ("us", 1_000)] where ns % size == 0 {
            return "\(ns / size)\(unit)"
        }
        return "\(ns)ns"
    }

    public static func size(_ s: ByteSize) -> String {
        let n = s.bytes
        if n == 0 { return "0" }
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where n % size == 0 {
            return "\(n / size)\(unit)"
        }
        return "\(n)"
    }

    public static func rate(_ r: Rate) -> String {
        for (unit, size) in [("s", Int64(1_000_000_000)), ("ms", 1_000_000), ("m", 60_000_000_000),
                             ("h", 3_600_000_000_000), ("us", 1_000), ("ns", 1)] where r.per.nanoseconds == size {
            return "\(r.count)/\(unit)"
        }
        return "\(r.count)/\(duration(r.per))"
    }
}
