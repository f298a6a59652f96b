/// What `bench schedule` reads from a provider's arrivals around an action
/// of its own (a rate change, a scale-down, a restart, a kill): rates over
/// spans, how long until the rate was back, the longest silence. Instants are
/// µs on the timeline's axis; `offset(of:since:)` places a CLOCK_MONOTONIC
/// instant of the bench on it.
extension StartTimeline {
    /// `instant` (CLOCK_MONOTONIC ns) as µs after `start` (the sandbox's
    /// `monotonicStart`, where its arrivals count from); 0 if it came before.
    public static func offset(of instant: UInt64, since start: UInt64) -> UInt64 {
        instant > start ? (instant - start) / 1_000 : 0
    }

    /// Arrivals (any status) in [from, to).
    public func count(from: UInt64, to: UInt64) -> Int {
        to > from ? firstIndex(atOrAfter: to) - firstIndex(atOrAfter: from) : 0
    }

    /// Arrivals per second over [from, to); 0 for an empty span.
    public func rate(from: UInt64, to: UInt64) -> Double {
        to > from ? Double(count(from: from, to: to)) / (Double(to - from) / 1e6) : 0
    }

    /// The first arrival at or after `instant`; nil if none came.
    public func firstArrival(atOrAfter instant: UInt64) -> UInt64? {
        let index = firstIndex(atOrAfter: instant)
        return index < arrivals.count ? arrivals[index] : nil
    }

    /// Seconds from `event` until the provider saw `fraction` of `rate` again:
    /// to the first arrival from which the next `recoveryGaps(rate:)` gaps
    /// were no longer, together, than that many intervals at `fraction × rate`.
    /// nil when no such arrival was recorded (not back within the run).
    ///
    /// Judged by the arrivals that follow rather than by a fixed window, so a
    /// single late request neither starts nor ends a recovery on its own.
    public func recoverySeconds(after event: UInt64, rate: Double, fraction: Double = 0.95) -> Double? {
        guard rate > 0, fraction > 0 else { return nil }
        let gaps = Self.recoveryGaps(rate: rate)
        let longest = Double(gaps) / (fraction * rate) * 1e6
        var index = firstIndex(atOrAfter: event)
        while index + gaps < arrivals.count {
            if Double(arrivals[index + gaps] - arrivals[index]) <= longest { return Double(arrivals[index] - event) / 1e6 }
            index += 1
        }
        return nil
    }

    /// How many gaps `recoverySeconds` judges a rate by: one second's worth,
    /// and at least 10 (a second at 5/s holds too few for jitter not to decide it).
    public static func recoveryGaps(rate: Double) -> Int {
        rate.isFinite && rate > 10 ? Int(rate.rounded(.up)) : 10
    }

    /// Connections the provider dropped without an answer (status 0).
    public var dropped: Int { statuses.filter { $0 == 0 }.count }

    /// The longest time between two answered arrivals in a row (any status but
    /// a drop), in seconds; 0 with fewer than two.
    public var longestGapBetweenAnswers: Double {
        let answered = zip(arrivals, statuses).filter { $0.1 != 0 }.map(\.0)
        let longest = zip(answered, answered.dropFirst()).map { $1 - $0 }.max() ?? 0
        return Double(longest) / 1e6
    }

    /// The index of the first arrival at or after `instant` (`arrivals.count` if none).
    private func firstIndex(atOrAfter instant: UInt64) -> Int {
        var low = 0, high = arrivals.count
        while low < high {
            let middle = (low + high) / 2
            if arrivals[middle] < instant { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
