/// The Generic Cell Rate Algorithm: a rate limit as one number per bucket.
///
/// A bucket is described by its *theoretical arrival time* (TAT): the instant
/// at which it would be completely refilled if nothing more arrived. Admitting
/// a request of cost `c` moves the TAT forward by `c × interval`. A request is
/// conforming when, after that move, the TAT is at most `tolerance + interval`
/// ahead of the request's start instant. Think of the tolerance as the bucket's
/// flexibility: how far ahead of the steady pace a burst may run.
///
/// Everything here is a pure function of integers (nanoseconds on one
/// monotonic clock), so the decisions can be tested as a table of instants.
/// The shared-memory cells apply `reserve` with compare-and-swap.
public enum GCRA {
    /// The configuration of one bucket.
    public struct Limit: Equatable, Hashable, Sendable, CustomStringConvertible {
        /// Nanoseconds between two unit-cost requests at the steady rate
        /// (the emission interval). Zero means unlimited.
        public var interval: UInt64
        /// How far ahead of the steady pace a burst may run, in nanoseconds:
        /// `(burst − 1) × interval`.
        public var tolerance: UInt64

        public init(interval: UInt64, tolerance: UInt64) {
            self.interval = interval
            self.tolerance = tolerance
        }

        /// A limit of `rate` with bursts of at most `burst` unit-cost requests.
        /// Requires: `burst ≥ 1`. A tolerance too large to represent saturates.
        public init(rate: Rate, burst: UInt64) {
            precondition(burst >= 1, "burst must be at least 1")
            interval = rate.interval
            let (tolerance, overflow) = rate.interval.multipliedReportingOverflow(by: burst - 1)
            self.tolerance = overflow ? .max : tolerance
        }

        /// No limit at all: every request may start at once.
        public static let unlimited = Limit(interval: 0, tolerance: 0)

        /// The largest cost one request may have: the burst, in cost units.
        public var capacity: UInt64 {
            guard interval > 0 else { return .max }
            let (window, overflow) = tolerance.addingReportingOverflow(interval)
            return overflow ? .max : window / interval
        }

        public var description: String {
            interval == 0 ? "unlimited" : "interval \(interval) ns, tolerance \(tolerance) ns"
        }
    }

    /// The answer to "when may a request of this cost start?".
    public enum Decision: Equatable, Sendable {
        /// Start at `startAt` (≥ now); the bucket's TAT becomes `newTAT`.
        case granted(startAt: UInt64, newTAT: UInt64)
        /// The start would be more than `maxWait` away. Calling again after
        /// `retryAfter` nanoseconds, with the same `maxWait`, would be granted
        /// if nothing else arrived meanwhile.
        case denied(retryAfter: UInt64)
        /// The cost is larger than the bucket can ever hold (its burst):
        /// waiting would never help, so this is an error, not a wait.
        case costExceedsBurst
    }

    /// Decides when a request of `cost` arriving at `now` may start, given the
    /// bucket's current `tat`, without waiting more than `maxWait`.
    ///
    /// A clock that reads earlier than the stored TAT (another process moved
    /// it) is not a problem: the TAT, not the clock, says what was used, so an
    /// earlier `now` never grants anything extra.
    @inline(__always)
    public static func reserve(tat: UInt64, now: UInt64, cost: UInt64, limit: Limit, maxWait: UInt64) -> Decision {
        let (increment, costOverflow) = cost.multipliedReportingOverflow(by: limit.interval)
        let (window, windowOverflow) = limit.tolerance.addingReportingOverflow(limit.interval)
        if costOverflow || (!windowOverflow && increment > window) { return .costExceedsBurst }
        return reserve(tat: tat, now: now, increment: increment, window: windowOverflow ? .max : window, maxWait: maxWait)
    }

    /// The decision for a request arriving at `now` that starts at the chosen
    /// instant `at` (≥ now) instead: used to charge several buckets for one
    /// request at one common start instant. Returns nil if `at` is too early
    /// for this bucket.
    @inline(__always)
    public static func charge(tat: UInt64, at instant: UInt64, cost: UInt64, limit: Limit) -> UInt64? {
        guard case .granted(let startAt, let newTAT) = reserve(tat: tat, now: instant, cost: cost, limit: limit, maxWait: 0),
              startAt == instant else { return nil }
        return newTAT
    }

    @inline(__always)
    private static func reserve(tat: UInt64, now: UInt64, increment: UInt64, window: UInt64, maxWait: UInt64) -> Decision {
        let base = max(tat, now)
        let (newTAT, overflow) = base.addingReportingOverflow(increment)
        // A TAT past the end of time cannot happen with real clocks; refuse rather than wrap.
        if overflow { return .denied(retryAfter: .max) }
        let allowAt = newTAT > window ? newTAT - window : 0
        let startAt = max(now, allowAt)
        let wait = startAt - now
        if wait > maxWait { return .denied(retryAfter: wait - maxWait) }
        return .granted(startAt: startAt, newTAT: newTAT)
    }

    /// The TAT that keeps a schedule's debt when its rate changes from `old`
    /// to `new` at `now`: what is booked ahead is so many requests, and those
    /// requests are now spaced at the new interval. (Kept in time instead, a
    /// request started at 1/min would hold a queue restored to 50/s for a
    /// minute; a request started at 50/s would let a queue slowed to 1/min
    /// start again at once.)
    public static func rescaled(tat: UInt64, now: UInt64, from old: Limit, to new: Limit) -> UInt64 {
        guard tat > now else { return tat }
        guard old.interval > 0 else { return now }
        let debt = UInt128(tat - now) * UInt128(new.interval) / UInt128(old.interval)
        return debt >= UInt128(UInt64.max - now) ? UInt64.max / 2 : now + UInt64(debt)
    }

    /// `rescaled`, for a change that leaves the bookings already made
    /// standing (the rate learner's small steps, which wake no booking): the
    /// next booking may come no sooner than the new interval after the last
    /// one made at the old rate (at `tat − old.interval`), so a faster rate
    /// never books in among the slower bookings.
    public static func rescaledKeepingBookings(tat: UInt64, now: UInt64, from old: Limit, to new: Limit) -> UInt64 {
        let rescaled = rescaled(tat: tat, now: now, from: old, to: new)
        guard tat > now, new.interval < old.interval else { return rescaled }
        return max(rescaled, tat - (old.interval - new.interval))
    }

    /// How many more unit-cost requests could start at `now` without waiting
    /// (redis-cell's `remaining`).
    public static func remaining(tat: UInt64, now: UInt64, limit: Limit) -> UInt64 {
        guard limit.interval > 0 else { return .max }
        let base = max(tat, now)
        let window = limit.tolerance &+ limit.interval
        let headroom = now &+ window > base ? now &+ window - base : 0
        return headroom / limit.interval
    }
}
