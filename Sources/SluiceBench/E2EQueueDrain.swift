/// One queue's drain, as the fleet's log and the sandbox saw it.
///
/// `drainSeconds` runs from the queue's first request sent (a `task.done`
/// instant minus its `ms`) to its last task settled; `theoreticalSeconds`
/// is `E2EDrainTheory`'s. `ratio` = drain ÷ theoretical: 1.00 is a perfect
/// limiter, above is time lost, below would mean the limit was exceeded.
public struct E2EQueueDrain: Encodable, Sendable {
    public var name: String
    public var processes: Int
    public var tasks: Int
    /// Settled as done by the fleet (log) and answered with success (sandbox).
    public var completed: Int
    public var succeededAtSandbox: Int
    public var dead: Int
    /// Still ready, leased or journaled when the bench ended: lost to this run.
    public var left: Int
    public var retries: Int
    /// The queue's configured rate (requests/s) and the cell that binds the drain.
    public var ratePerSecond: Double
    public var binding: String
    public var theoreticalSeconds: Double
    public var drainSeconds: Double
    public var ratio: Double
    /// From `sluice run` being spawned to this queue's first request.
    public var firstSendSeconds: Double
    /// 429s the sandbox answered, and Stripe replays of an idempotency key.
    public var rateLimited: Int
    public var duplicates: Int
    public var limits: [E2ELimitWindow]
    /// CPU seconds of this queue's worker processes (from /proc, last sample).
    public var cpuSeconds: Double

    enum CodingKeys: String, CodingKey {
        case name, processes, tasks, completed, dead, left, retries, binding, ratio, limits, duplicates
        case succeededAtSandbox = "succeeded_at_sandbox", ratePerSecond = "rate_per_s"
        case theoreticalSeconds = "theoretical_s", drainSeconds = "drain_s", firstSendSeconds = "first_send_s"
        case rateLimited = "rate_limited_429", cpuSeconds = "cpu_s"
    }
}

/// A sandbox limit's busiest sliding window of arrivals against what it allows.
public struct E2ELimitWindow: Encodable, Sendable {
    public var name: String
    public var worstWindow: Int
    public var allowed: Int

    enum CodingKeys: String, CodingKey {
        case name
        case worstWindow = "worst_window", allowed
    }
}
