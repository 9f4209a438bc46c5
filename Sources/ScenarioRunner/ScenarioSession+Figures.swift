// The run's figures while it runs, for `run --metrics-listen`: every group's added up, and an
// observer told of the session from a timer on the client's loop (between events, never per message).

import ClientEngine

extension ScenarioSession {
    /// Every group's figures added up, as they are now.
    public var totals: GroupStats {
        var totals = GroupStats()
        for group in engine.groupOrder { totals.merge(engine.groupStats(group)) }
        return totals
    }

    /// Shows the session to `observer` every `nanos` while the loop is driven (waits, sleeps,
    /// connects; a `load` statement runs on its own loop and shows when it ends).
    func tick(every nanos: UInt64, _ observer: @escaping (ScenarioSession) -> Void) {
        engine.every(nanos: nanos) { [weak self] in
            if let self { observer(self) }
        }
    }
}
