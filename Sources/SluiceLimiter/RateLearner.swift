import Glibc

/// What one queue has learnt about the rate it may really use: the limit to
/// put in force, from the configured one (the provider's own number).
///
/// Two things are learnt, and the limit in force is the configured one
/// adjusted by both:
///
/// - **The edge guard** `g`, from how late requests go on the wire after
///   their granted instants. A provider counting `n` requests per window `W`
///   refuses the (n+1)-th when it arrives less than `W` after the request a
///   window before it; requests spaced exactly `W/n` apart arrive that close
///   whenever the earlier one was later than the later one. So the spacing
///   is widened to put `W + g` between a request and the one `n` after it,
///   and a request that cannot be on the wire within `g` of its instant is
///   not sent but booked again (the worker's `notAfter`; what follows the
///   stamp has the path guard): any two leave at least `W` apart. `W` is the configured rate's own unit (`20/s`: 1 s),
///   the window providers publish their numbers in. The guard costs `g/W` of
///   the rate and the drops cost the share of requests later than `g`; it is
///   the bucket bound that minimises the sum (`chooseGuard`).
/// - **A share** of the configured rate (AIMD): a 429 that gets through
///   anyway means the provider allows less than configured (another client
///   spends the same key, or the number was wrong). Each cuts the share by
///   `decrease` (one per `decreaseSpacing`: the requests in flight with it
///   teach nothing new); while no 429 comes it climbs back: quickly to just
///   below where the 429 came, then probing, faster the longer it is quiet.
///
/// Pure: instants are given, nothing is read; the supervisor's
/// `RateLearning` drives one per queue and publishes `inForce`.
public struct RateLearner: Equatable, Sendable {
    /// The guard before any lateness was measured: generous (2% of a
    /// per-second window), so a loaded host's first seconds do not lose the
    /// instants its late wake-ups miss (with 5 ms, a loaded host drained a
    /// 1.5/s queue at a median 79%). Learnt from `minimumSamples` on.
    public static let initialGuard: UInt64 = 20_000_000
    /// The guard's bounds: under 100 µs the wire itself is noisier; 100 ms
    /// is the late start tolerated without a guard (a starved host).
    public static let guardRange: ClosedRange<UInt64> = 100_000...100_000_000
    /// Lateness observations needed before the guard is chosen from them.
    public static let minimumSamples: UInt64 = 20
    /// The path guard's start and bounds: what the spacing leaves, on top of
    /// the edge guard, for what follows the stamp (the write, the network,
    /// the provider's own clock), which Sluice cannot measure: 1 ms (0.1% of
    /// a per-second window) to start, doubled by each 429 at the full rate,
    /// at most 32 ms; halved after each `pathGuardCalm` without a 429.
    public static let pathGuardRange: ClosedRange<UInt64> = 1_000_000...32_000_000
    public static let pathGuardCalm: UInt64 = 60_000_000_000
    /// A share at least this is "the full rate" for the path guard.
    static let fullShare = 0.99
    /// The share a 429 leaves: 90% of what was in force.
    public static let decrease = 0.9
    /// The least share the 429s can leave (10% of the configured rate).
    public static let floor = 0.1
    /// 429s closer together than this teach one decrease.
    public static let decreaseSpacing: UInt64 = 1_000_000_000
    /// A decrease this long after the one before is a probe that went a
    /// little too far: the share climbs quickly back to just below where
    /// it came. Decreases closer together say the budget is lower still:
    /// no quick climb (it would take the queue straight back into 429s,
    /// each one holding the queue for its wait; a shared budget then took
    /// 16 s to learn, a 429 every other second).
    public static let isolatedAfter: UInt64 = 10_000_000_000
    /// Back to just below the share a 429 came at, per second.
    public static let returnPerSecond = 0.05
    /// How far below that share the quick return stops (after an isolated
    /// decrease, `isolatedAfter`). Near it (98%), and then a slow probe:
    /// each 429 also holds the queue for its wait (a whole second when the
    /// provider says no finer), so the fewer cycles the better, and the
    /// nearer the plateau the more of the budget used (a model with those
    /// holds: 96% of a shared budget, where 95%, a probe four times faster
    /// and a quick return after every decrease gave 90.5%, as measured).
    public static let returnUpTo = 0.98
    /// The probing climb per second after the return, doubling every
    /// `probeDoubling` of quiet, at most `probeMaximum`.
    public static let probePerSecond = 0.00005
    public static let probeDoubling: UInt64 = 6_000_000_000
    public static let probeMaximum = 0.1

    /// The limit configured (the provider's number), as set last.
    public let configured: GCRA.Limit
    /// The window the configured number is counted in (ns).
    public let window: UInt64
    /// How late after its instant a request may still go (ns).
    public private(set) var edgeGuard: UInt64 = RateLearner.initialGuard
    /// What the spacing leaves for the path after the stamp (ns).
    public private(set) var pathGuard: UInt64 = RateLearner.pathGuardRange.lowerBound
    private var pathGuardSince: UInt64 = 0
    /// The share of the configured rate the 429s leave (1: all of it).
    public private(set) var share = 1.0
    /// 429s that lowered the share since the rate was configured.
    public private(set) var decreases: UInt64 = 0
    /// Where the quick climb after the last decrease stops.
    private var returnTarget = 1.0
    private var lastDecreaseAt: UInt64?

    /// `window`: the configured rate's unit (`Rate.period`); 0 for an
    /// unlimited queue, which learns nothing.
    public init(configured: GCRA.Limit, window: UInt64, edgeGuard: UInt64 = RateLearner.initialGuard,
                pathGuard: UInt64 = RateLearner.pathGuardRange.lowerBound) {
        self.configured = configured
        self.window = window
        self.edgeGuard = min(max(edgeGuard, Self.guardRange.lowerBound), Self.guardRange.upperBound)
        self.pathGuard = min(max(pathGuard, Self.pathGuardRange.lowerBound), Self.pathGuardRange.upperBound)
    }

    /// The limit to enforce: the configured interval widened by the guards
    /// (`W + g + p` for every `W` configured) and divided by the share; the
    /// burst kept. Unlimited stays unlimited.
    public var inForce: GCRA.Limit {
        guard configured.interval > 0, window > 0 else { return configured }
        let widened = Double(configured.interval) * (1 + Double(edgeGuard + pathGuard) / Double(window)) / share
        let interval = widened >= Double(UInt64.max / 2) ? UInt64.max / 2 : UInt64(widened.rounded(.up))
        let (tolerance, overflow) = interval.multipliedReportingOverflow(by: configured.capacity - 1)
        return GCRA.Limit(interval: interval, tolerance: overflow ? .max : tolerance)
    }

    /// Requests per second in force (+Inf: unlimited).
    public var inForcePerSecond: Double {
        let interval = inForce.interval
        return interval == 0 ? .infinity : 1e9 / Double(interval)
    }

    /// Chooses the guard from recent lateness (`LatencyHistogram.finerBounds`),
    /// when there are enough observations.
    public mutating func observe(lateness: LatencyHistogram) {
        guard window > 0, let chosen = Self.chooseGuard(lateness, window: window) else { return }
        edgeGuard = chosen
    }

    /// The bound `g` within `guardRange` that costs the least of the rate:
    /// `g / window` for the spacing plus the share of requests later than
    /// `g` (dropped and booked again). Ties go to the smaller guard.
    static func chooseGuard(_ lateness: LatencyHistogram, window: UInt64) -> UInt64? {
        let total = lateness.count
        guard total >= minimumSamples else { return nil }
        var best: (guard: UInt64, cost: Double)?
        for bound in lateness.bucketBounds where guardRange.contains(bound) {
            let cost = Double(bound) / Double(window) + Double(lateness.count(above: bound)) / Double(total)
            if best == nil || cost < best!.cost { best = (bound, cost) }
        }
        return best?.guard
    }

    /// A 429 got through at `now` (monotonic ns). At the full rate it may
    /// be the path, not another client: the path guard doubles as well.
    public mutating func rateLimited(now: UInt64) {
        guard configured.interval > 0 else { return }
        if let last = lastDecreaseAt, now < last &+ Self.decreaseSpacing { return }
        if share >= Self.fullShare {
            pathGuard = min(pathGuard * 2, Self.pathGuardRange.upperBound)
        }
        pathGuardSince = now
        let isolated = lastDecreaseAt.map { now >= $0 &+ Self.isolatedAfter } ?? true
        returnTarget = isolated ? share * Self.returnUpTo : 0
        share = max(Self.floor, share * Self.decrease)
        lastDecreaseAt = now
        decreases &+= 1
    }

    /// `elapsed` ns passed, up to `now`, with no 429: the share climbs back,
    /// and the path guard halves after each `pathGuardCalm`.
    public mutating func quiet(now: UInt64, elapsed: UInt64) {
        if pathGuard > Self.pathGuardRange.lowerBound, now >= pathGuardSince &+ Self.pathGuardCalm {
            pathGuard = max(pathGuard / 2, Self.pathGuardRange.lowerBound)
            pathGuardSince = now
        }
        guard share < 1, let last = lastDecreaseAt else { return }
        let seconds = Double(elapsed) / 1e9
        if share < returnTarget {
            share = min(returnTarget, share + Self.returnPerSecond * seconds)
        } else {
            let quietFor = now > last ? Double(now - last) : 0
            let step = min(Self.probeMaximum, Self.probePerSecond * exp2(min(60, quietFor / Double(Self.probeDoubling))))
            share += step * seconds
        }
        share = min(1, share)
    }
}
