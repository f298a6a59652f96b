/// When and how often a failed attempt is tried again (the seed's defaults:
/// 1 s, ×2, at most 10 min apart, 5 attempts).
public struct RetryPolicy: Equatable, Sendable {
    /// Delay before the second attempt, in nanoseconds.
    public var initialInterval: UInt64 = 1_000_000_000
    /// Each further delay is the previous one times this (≥ 1).
    public var backoffCoefficient: Double = 2.0
    /// No delay is longer than this, in nanoseconds.
    public var maximumInterval: UInt64 = 600_000_000_000
    /// Attempts in all, the first included; then the task is dead.
    public var maximumAttempts: Int = 5
    /// Each delay is drawn from `[delay × (1 − jitter), delay]`, so retries
    /// of many tasks that failed together do not come back together.
    public var jitter: Double = 0.2

    public init() {}

    /// The delay after failed attempt number `attempt` (1-based), before
    /// jitter: `initial × coefficient^(attempt−1)`, capped at the maximum.
    public func backoff(afterAttempt attempt: Int) -> UInt64 {
        var delay = Double(initialInterval)
        for _ in 1..<max(attempt, 1) {
            delay *= backoffCoefficient
            if delay >= Double(maximumInterval) { return maximumInterval }
        }
        return min(UInt64(delay), maximumInterval)
    }

    /// `backoff(afterAttempt:)` with jitter applied by `unit`, a draw from [0, 1).
    public func delay(afterAttempt attempt: Int, unit: Double) -> UInt64 {
        let base = Double(backoff(afterAttempt: attempt))
        return UInt64(base * (1 - jitter * unit))
    }
}
