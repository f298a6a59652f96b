/// An instant on Redis's clock, as `TIME` reports it: whole seconds since the
/// Unix epoch and the microseconds into the current second.
///
/// The clock is the Redis host's wall clock; compare instants from one
/// Redis only (its clock, not ours, is the fleet's common one).
public struct RedisTime: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let seconds: Int64
    /// 0 ..< 1,000,000.
    public let microseconds: Int64

    public init(seconds: Int64, microseconds: Int64) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// Reads `TIME`'s reply: two bulk strings of decimal digits. Nil for anything else.
    public init?(reply: RESPValue) {
        guard let parts = reply.elements, parts.count == 2,
              let secondsText = parts[0].bytes, let microsecondsText = parts[1].bytes,
              let seconds = RESPParser.parseInteger(secondsText[...]), let microseconds = RESPParser.parseInteger(microsecondsText[...]),
              seconds >= 0, (0..<1_000_000).contains(microseconds) else { return nil }
        self.init(seconds: seconds, microseconds: microseconds)
    }

    /// Microseconds since the Unix epoch (saturated: no overflow before year 294,000).
    public var microsecondsSinceEpoch: Int64 {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? .max : scaled &+ microseconds
    }

    public static func < (lhs: RedisTime, rhs: RedisTime) -> Bool {
        (lhs.seconds, lhs.microseconds) < (rhs.seconds, rhs.microseconds)
    }

    public var description: String {
        let fraction = String(microseconds)
        return "\(seconds).\(String(repeating: "0", count: max(0, 6 - fraction.count)))\(fraction)"
    }
}

extension RedisConnection {
    /// Redis's clock now (`TIME`).
    public func time(timeout: Duration? = nil) throws(RedisError) -> RedisTime {
        let reply = try send(RedisCommand("TIME"), timeout: timeout)
        guard let time = RedisTime(reply: reply) else { throw .unexpectedReply(command: "TIME", reply: reply) }
        return time
    }
}
