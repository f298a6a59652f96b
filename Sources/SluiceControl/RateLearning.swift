import Glibc
import SluiceCluster
import SluiceLimiter
import SluicePOSIX
import Synchronization

/// Drives one `RateLearner` per queue in the supervisor and publishes what
/// it learns into the segment, where every worker reads it: the rate in
/// force and the edge guard (`QueueLimits.edgeGuard`).
///
/// It reads only the segment's fleet-wide statistics (lateness, 429s), every
/// `tick`; the learner is pure. The only writer of a queue's rate while the
/// fleet runs, with the operator's set-rate (`configure`), under one lock: a
/// set-rate is never overwritten by a tick computed from the rate before it.
///
/// A worker run alone (no supervisor) learns nothing: its queue keeps the
/// configured rate and the worker's fixed late-start tolerance.
final class RateLearning: Sendable {
    static let tick: UInt64 = 250_000_000
    /// Lateness is judged over this much recent history.
    static let latenessWindow: UInt64 = 10_000_000_000
    /// A rate in force closer than this (relative) to the one published is
    /// not published again: every publication is a new generation.
    static let publishThreshold = 0.001

    private struct Learning {
        var learner: RateLearner
        var lastRateLimited: UInt64
        /// (instant, lateness so far) over the last `latenessWindow`.
        var lateness: [(at: UInt64, histogram: LatencyHistogram)]
        var lastQuietAt: UInt64
        var published: GCRA.Limit?
        var publishedGuard: UInt64?
    }

    private struct Shared {
        var queues: [String: Learning] = [:]
    }

    private let handles: [String: QueueHandle]
    private let shared = Mutex(Shared())
    private let ticker = Mutex<PeriodicThread?>(nil)
    private let log: EventLog
    /// Told of each decrease this host's 429s teach, for the other hosts
    /// (a coordinated fleet); nil on one host.
    private let fleet: RuntimeExchange?

    /// Starts learning each queue from `configured` (the limit the supervisor
    /// registered: the configuration with the saved overrides) and puts the
    /// initial guarded rate in force at once.
    init(queues: [(handle: QueueHandle, configured: GCRA.Limit, window: UInt64)], log: EventLog, fleet: RuntimeExchange? = nil) {
        self.log = log
        self.fleet = fleet
        var handles: [String: QueueHandle] = [:]
        for queue in queues { handles[queue.handle.name.rawValue] = queue.handle }
        self.handles = handles
        let now = MonotonicClock.now()
        shared.withLock { shared in
            for queue in queues {
                let totals = queue.handle.taskStatisticsTotals
                var learning = Learning(learner: RateLearner(configured: queue.configured, window: queue.window),
                                        lastRateLimited: totals.rateLimited, lateness: [(now, totals.startLateness)],
                                        lastQuietAt: now)
                try? publish(&learning, to: queue.handle)
                shared.queues[queue.handle.name.rawValue] = learning
            }
        }
    }

    func start() {
        let started = PeriodicThread(every: Self.tick, step: 20_000) { [self] in learnOnce() }
        ticker.withLock { $0 = started }
        started.start()
    }

    func stop() {
        ticker.withLock { $0 }?.stop()
    }

    /// The operator set a new rate: learning starts again from it (the 429s
    /// taught the old number, not this one); the measured guard is kept (it
    /// is about this fleet's lateness, not the provider; so is the path
    /// guard, about the network). Published at once.
    func configure(_ queue: String, limit: GCRA.Limit, window: UInt64) throws(CoordinatorError) {
        guard let handle = handles[queue] else { return }
        try shared.withLock { shared throws(CoordinatorError) in
            let guardNow = shared.queues[queue]?.learner.edgeGuard ?? RateLearner.initialGuard
            let pathNow = shared.queues[queue]?.learner.pathGuard ?? RateLearner.pathGuardRange.lowerBound
            var learning = shared.queues[queue] ?? Learning(learner: RateLearner(configured: limit, window: window),
                                                            lastRateLimited: 0, lateness: [], lastQuietAt: MonotonicClock.now())
            learning.learner = RateLearner(configured: limit, window: window, edgeGuard: guardNow, pathGuard: pathNow)
            learning.published = nil
            try publish(&learning, to: handle, rescaling: true)
            shared.queues[queue] = learning
        }
    }

    /// What the queue's learning stands at (nil: not learnt here).
    func learner(_ queue: String) -> RateLearner? {
        shared.withLock { $0.queues[queue]?.learner }
    }

    /// One round: every queue's 429s, quiet time and lateness; publishes what changed.
    func learnOnce() {
        let now = MonotonicClock.now()
        shared.withLock { shared in
            for (name, handle) in handles {
                guard var learning = shared.queues[name] else { continue }
                let totals = handle.taskStatisticsTotals
                let rateLimited = totals.rateLimited &- learning.lastRateLimited
                learning.lastRateLimited = totals.rateLimited
                if rateLimited > 0 && rateLimited < 1 << 32 {
                    let before = learning.learner.decreases
                    learning.learner.rateLimited(now: now)
                    if learning.learner.decreases != before {
                        log.info("queue.rate_learnt", ("queue", name), ("reason", "429"),
                                 ("share", "\(learning.learner.share)"), ("in_force_rps", "\(learning.learner.inForcePerSecond)"))
                        fleet?.noteDecrease(handle.name)
                    }
                } else {
                    learning.learner.quiet(now: now, elapsed: now > learning.lastQuietAt ? now - learning.lastQuietAt : 0)
                }
                learning.lastQuietAt = now
                learning.lateness.append((now, totals.startLateness))
                learning.lateness.removeAll { now - $0.at > Self.latenessWindow }
                if let oldest = learning.lateness.first {
                    learning.learner.observe(lateness: totals.startLateness.subtracting(oldest.histogram))
                }
                try? publish(&learning, to: handle)
                shared.queues[name] = learning
            }
        }
    }

    /// Another host's 429 lowered the queue's rate there: lowered here too,
    /// as a 429 of this host's would (one decrease per `decreaseSpacing`, so
    /// a 429 seen here and there at once teaches one), published at once.
    func fleetDecrease(_ queue: String) {
        guard let handle = handles[queue] else { return }
        let now = MonotonicClock.now()
        shared.withLock { shared in
            guard var learning = shared.queues[queue] else { return }
            let before = learning.learner.decreases
            learning.learner.rateLimited(now: now)
            guard learning.learner.decreases != before else { return }
            log.info("queue.rate_learnt", ("queue", queue), ("reason", "429 on another host"),
                     ("share", "\(learning.learner.share)"), ("in_force_rps", "\(learning.learner.inForcePerSecond)"))
            try? publish(&learning, to: handle)
            shared.queues[queue] = learning
        }
    }

    /// Writes the learner's limit and guard into the segment when they moved.
    /// `rescaling`: an operator's change, whose rate rescales the main cell's
    /// debt as before; the learner's own steps keep the bookings made.
    private func publish(_ learning: inout Learning, to handle: QueueHandle, rescaling: Bool = false) throws(CoordinatorError) {
        let rate = learning.learner.inForce
        let edgeGuard = learning.learner.window > 0 && learning.learner.configured.interval > 0 ? learning.learner.edgeGuard : 0
        if let published = learning.published, learning.publishedGuard == edgeGuard, !Self.moved(published, rate) { return }
        try handle.updateLimits(keepingBookings: !rescaling) { limits in
            limits.rate = rate
            limits.edgeGuard = edgeGuard
        }
        learning.published = rate
        learning.publishedGuard = edgeGuard
    }

    private static func moved(_ old: GCRA.Limit, _ new: GCRA.Limit) -> Bool {
        guard old.interval > 0, new.interval > 0 else { return old != new }
        return abs(Double(new.interval) / Double(old.interval) - 1) > publishThreshold || old.capacity != new.capacity
    }
}
