/// When a connection may be tried again after attempts failed in a row:
/// jittered exponential backoff, so many clients of one Redis that failed
/// together do not all come back in the same instant.
///
/// After `n` failures the next attempt waits a delay drawn from
/// `[d/2, d]`, where `d = min(maximum, initial · 2^(n−1))`: 10 ms, 20 ms, …
/// 1 s by default. No failure, no wait.
public struct ReconnectBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(10), maximum: Duration = .seconds(1)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait in nanoseconds after `failures` failed attempts; `random` (any
    /// value) picks the point in the jitter range, so this is a pure function.
    public func delay(afterFailures failures: Int, random: UInt32) -> UInt64 {
        guard failures > 0 else { return 0 }
        let ceiling = max(1, maximum.nanoseconds)
        var bound = min(ceiling, max(1, initial.nanoseconds))
        for _ in 1..<min(failures, 64) where bound < ceiling { bound = min(ceiling, bound &* 2) }
        let half = bound / 2
        // (bound − half) · random / 2^32, through a 128-bit product: no overflow.
        let spread = (bound - half).multipliedFullWidth(by: UInt64(random))
        return half + (spread.high << 32 | spread.low >> 32)
    }
}
