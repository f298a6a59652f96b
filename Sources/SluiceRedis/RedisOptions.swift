/// How a connection behaves: its time budget, reconnect pacing, reply
/// limits and protocol.
public struct RedisOptions: Sendable, Equatable {
    /// The protocol spoken after connecting.
    public enum ProtocolVersion: Sendable, Equatable {
        /// RESP2: every Redis, Valkey and managed Redis speaks it, with no
        /// handshake of its own. Scripts' replies are the same in both.
        case resp2
        /// RESP3, after `HELLO 3` (Redis 6 and later): maps, sets, doubles,
        /// booleans and big numbers as such.
        case resp3
    }

    /// Each call's budget when it names none: connecting (if needed),
    /// writing and reading every reply must fit in it, or the call fails.
    public var timeout: Duration
    /// How soon a connection is tried again after failed attempts.
    public var backoff: ReconnectBackoff
    /// The bounds on what the server may send.
    public var limits: RESPLimits
    public var protocolVersion: ProtocolVersion
    /// Sent as `CLIENT SETNAME` on every connection, so `CLIENT LIST` shows
    /// who is who (no spaces allowed).
    public var clientName: String?

    public init(timeout: Duration = .milliseconds(100), backoff: ReconnectBackoff = ReconnectBackoff(),
                limits: RESPLimits = RESPLimits(), protocolVersion: ProtocolVersion = .resp2, clientName: String? = nil) {
        self.timeout = timeout
        self.backoff = backoff
        self.limits = limits
        self.protocolVersion = protocolVersion
        self.clientName = clientName
    }
}

extension Duration {
    /// Whole nanoseconds, 0 for a negative duration, saturated at UInt64.max.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (total, overflowB) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return overflowB ? .max : total
    }
}
