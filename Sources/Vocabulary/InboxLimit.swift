// How much of each connection's received bytes the client keeps for `recv`, `match` and `skip`
// checks. The engine stops keeping past it, and the language refuses a `skip` longer than it,
// since no check could ever see that far.

public enum InboxLimit {
    public static let bytesPerConnection = 4 << 20
}
