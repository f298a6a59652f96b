import Glibc
import SluiceLimiter
import SluicePOSIX
import SluiceSpool
import Synchronization

/// What the sampler knows of one queue: its spool's backlog (read at most a
/// second ago) and its recent pace.
public struct QueueSample: Sendable, Equatable {
    /// Backlog by state; nil until the spool could be read.
    public var counts: QueueCounts?
    /// Why the spool could not be read last time, if it could not.
    public var spoolError: String?
    /// Requests started per second over the last `observedWindow` (or since
    /// the sampler started, if shorter).
    public var observedPerSecond: Double = 0
    /// Schedule-to-start latencies observed over the last `latencyWindow`.
    public var recentScheduleToStart = LatencyHistogram()
}

/// Samples every queue once a second on its own thread: counting a spool
/// reads directories, too slow for every scrape, and rates need history.
///
/// Keeps, per queue, a ring of (instant, requests started, schedule-to-start
/// histogram) covering `latencyWindow`; a sample is a difference of two.
final class QueueSampler: Sendable {
    static let interval: UInt64 = 1_000_000_000
    static let observedWindow: UInt64 = 10_000_000_000
    static let latencyWindow: UInt64 = 60_000_000_000

    private struct Point {
        let at: UInt64
        let started: UInt64
        let scheduleToStart: LatencyHistogram
    }

    private struct Shared {
        var samples: [String: QueueSample] = [:]
        var history: [String: [Point]] = [:]
    }

    private let queues: [(handle: QueueHandle, spool: SpoolQueue)]
    private let shared = Mutex(Shared())
    private let ticker = Mutex<PeriodicThread?>(nil)

    init(queues: [(handle: QueueHandle, spool: SpoolQueue)]) {
        self.queues = queues
        sampleOnce()
    }

    func start() {
        let started = PeriodicThread(every: Self.interval, step: 50_000) { [self] in sampleOnce() }
        ticker.withLock { $0 = started }
        started.start()
    }

    func stop() {
        ticker.withLock { $0 }?.stop()
    }

    func sample(_ queue: String) -> QueueSample {
        shared.withLock { $0.samples[queue] } ?? QueueSample()
    }

    /// Reads every queue now (also called by the thread each second).
    func sampleOnce() {
        for (handle, spool) in queues {
            let name = handle.name.rawValue
            let now = MonotonicClock.now()
            let totals = handle.taskStatisticsTotals
            let point = Point(at: now, started: totals.requestsStarted, scheduleToStart: totals.scheduleToStart)
            var counts: QueueCounts?
            var spoolError: String?
            do { counts = try spool.counts() } catch { spoolError = "\(error)" }
            shared.withLock { shared in
                var history = (shared.history[name] ?? []) + [point]
                history.removeAll { now - $0.at > Self.latencyWindow + Self.interval }
                shared.history[name] = history
                var sample = QueueSample(counts: counts ?? shared.samples[name]?.counts, spoolError: spoolError)
                let rateBase = history.first { now - $0.at <= Self.observedWindow } ?? point
                if now > rateBase.at {
                    sample.observedPerSecond = Double(point.started &- rateBase.started) * 1e9 / Double(now - rateBase.at)
                }
                sample.recentScheduleToStart = point.scheduleToStart.subtracting(history[0].scheduleToStart)
                shared.samples[name] = sample
            }
        }
    }
}
