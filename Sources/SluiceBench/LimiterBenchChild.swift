import SluiceLimiter
import SluicePOSIX
import Synchronization

/// What one bench child process does, between `go` and `end` (monotonic ns).
public enum LimiterBenchChild {
    /// Unpaced: `tryAcquire` in a tight loop. First untimed, for throughput,
    /// until `end`; then `latencyPhase` ns with every call timed. Returns the
    /// report lines (`ops`, `timer`, `lat`).
    public static func unpaced(queue: QueueHandle, go: UInt64, end: UInt64, latencyPhase: UInt64) -> String {
        MonotonicClock.sleep(until: go)
        var operations: UInt64 = 0
        var now = MonotonicClock.now()
        while now < end {
            for _ in 0..<1024 { _ = queue.tryAcquire() }
            operations += 1024
            now = MonotonicClock.now()
        }
        let elapsed = now - go
        var latencies = LatencyHistogram()
        let latencyEnd = now + latencyPhase
        while MonotonicClock.now() < latencyEnd {
            for _ in 0..<256 {
                let before = MonotonicClock.now()
                _ = queue.tryAcquire()
                latencies.record(MonotonicClock.now() - before)
            }
        }
        return ["ops \(operations) \(elapsed)", "timer \(timerOverhead())", latencies.serialized].joined(separator: "\n")
    }

    /// The physical ceiling to compare with: the same loop shape, but each
    /// operation is only a load and a compare-and-swap (+1) on one shared
    /// 64-bit word of the segment, with no clock read and no decision.
    public static func bareCompareAndSwap(word: UnsafeMutablePointer<Atomic<UInt64>>, go: UInt64, end: UInt64) -> String {
        MonotonicClock.sleep(until: go)
        var operations: UInt64 = 0
        var now = MonotonicClock.now()
        while now < end {
            for _ in 0..<1024 {
                var current = word.pointee.load(ordering: .relaxed)
                while true {
                    let (exchanged, actual) = word.pointee.compareExchange(expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing)
                    if exchanged { break }
                    current = actual
                }
            }
            operations += 1024
            now = MonotonicClock.now()
        }
        return "ops \(operations) \(now - go)"
    }

    /// Paced: reserve, sleep until the granted instant, record when we really
    /// started. Stops at the first grant at or after `end`. Returns
    /// `start <granted> <actual>` lines.
    public static func paced(queue: QueueHandle, go: UInt64, end: UInt64) -> String {
        MonotonicClock.sleep(until: go)
        var lines: [String] = []
        while true {
            let now = MonotonicClock.now()
            guard now < end, case .granted(let startAt) = queue.reserve(maxWait: end - now) else { break }
            MonotonicClock.sleep(until: startAt)
            lines.append("start \(startAt) \(MonotonicClock.now())")
        }
        return lines.joined(separator: "\n")
    }

    /// The median cost of reading the clock around an empty body: what
    /// timing a call adds to it.
    static func timerOverhead() -> UInt64 {
        var samples = LatencyHistogram()
        for _ in 0..<100_000 {
            let before = MonotonicClock.now()
            samples.record(MonotonicClock.now() - before)
        }
        return samples.value(at: 0.5)
    }
}
