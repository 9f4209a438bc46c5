// Searching an inbox that grows while `expect SEL match` waits. Each byte becomes text once,
// and the pattern is searched again only when bytes came, and (while more may come) only once
// four times the last search's own time went by: a wait on an inbox of megabytes arriving in
// many pieces costs about the wait plus a quarter, not (bytes x pieces).

import Framing
import Syscalls

struct InboxSearch {
    private var text = Latin1Text()
    /// How many bytes the last search saw (-1: none yet; an empty inbox may match too).
    private var searchedCount = -1
    private var nextSearchAt: UInt64 = 0

    /// The first match in `inbox`, or nil when there is none in it or, `paced`, when searching
    /// it again must wait. Unpaced (the connection ended, or the wait did) it searches whatever
    /// it has not searched yet, so a match that arrived is never missed.
    mutating func match(_ regex: ByteRegex, in inbox: ArraySlice<UInt8>, paced: Bool) -> ByteMatch? {
        // Nothing consumes an inbox during a wait; were it shorter, start over rather than misread.
        if inbox.count < text.byteCount { self = InboxSearch() }
        text.append(inbox.dropFirst(text.byteCount))
        guard searchedCount != text.byteCount else { return nil }
        let start = Sys.monotonicNanos()
        guard !paced || start >= nextSearchAt else { return nil }
        searchedCount = text.byteCount
        let found = regex.firstMatch(in: text)
        nextSearchAt = start &+ 5 &* (Sys.monotonicNanos() &- start)
        return found
    }
}
