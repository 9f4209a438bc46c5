// A repeating action on the engine's loop, for observers that want figures now and then (live
// metrics): a timer in the loop's heap, so it costs nothing per event and nothing when unused.

extension ClientEngine {
    /// Runs `action` every `nanos` while the loop is driven, as long as the engine lives.
    public func every(nanos: UInt64, _ action: @escaping () -> Void) {
        loop.schedule(afterNanos: nanos) { [weak self] in
            guard let self else { return }
            action()
            self.every(nanos: nanos, action)
        }
    }
}
