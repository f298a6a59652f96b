import Synchronization

/// What producers and workers did with a queue's tasks, fleet-wide: the
/// counters and latency histograms `/metrics` renders.
///
/// Stored in the same per-process counter shards as `QueueCounters` (from
/// word `TaskStatistics.firstWord` on), so recording is one relaxed atomic
/// add on a line no other process writes often, and the supervisor reads the
/// fleet's totals without asking any worker. Counters only grow, wrapping at
/// 2⁶⁴; they start at zero when the segment is created.
public struct TaskStatistics: Equatable, Sendable {
    /// Tasks accepted into the spool (duplicates of an existing id excluded).
    public var enqueued: UInt64 = 0
    /// HTTP requests sent (counted when sending starts).
    public var requestsStarted: UInt64 = 0
    /// Tasks finished for good, by how.
    public var completedSuccess: UInt64 = 0
    public var completedDead: UInt64 = 0
    /// Attempts concluded, by `AttemptResult.rawValue`.
    public var attempts = Array(repeating: UInt64(0), count: AttemptResult.allCases.count)
    /// Answers received, by `StatusCodeBucket` index.
    public var responses = Array(repeating: UInt64(0), count: StatusCodeBucket.count)
    /// From the instant a task was due to the instant its request was sent.
    public var scheduleToStart = LatencyHistogram()
    /// From sending a request to having its answer (or its failure).
    public var requestDuration = LatencyHistogram()
    /// From a request's granted instant to the instant it went on the wire,
    /// or was found too late to go (`LatencyHistogram.finerBounds`): what
    /// the edge guard is learnt from.
    public var startLateness = LatencyHistogram(bounds: LatencyHistogram.finerBounds)
    /// Requests not sent because they would have gone more than the edge
    /// guard after their granted instant: booked again instead.
    public var lateRebooked: UInt64 = 0

    public init() {}

    /// 429s received: the provider said the fleet went too fast.
    public var rateLimited: UInt64 { attempts[AttemptResult.rateLimited.rawValue] }

    /// Word positions within a counter shard (words 0…31 are `QueueCounters`).
    enum Word {
        static let enqueued = 32
        static let requestsStarted = 33
        static let completedSuccess = 34
        static let completedDead = 35
        static let attempts = 36 // AttemptResult.allCases.count words
        static let responses = attempts + AttemptResult.allCases.count // StatusCodeBucket.count words
        static let scheduleToStart = responses + StatusCodeBucket.count // LatencyHistogram.words
        static let requestDuration = scheduleToStart + LatencyHistogram.words
        static let startLateness = requestDuration + LatencyHistogram.words // LatencyHistogram.finerWords
        static let lateRebooked = startLateness + LatencyHistogram.finerWords
        static let end = lateRebooked + 1 // ≤ 128: a shard's words
    }
}

/// How one attempt ended, as a `result` label.
public enum AttemptResult: Int, CaseIterable, Sendable {
    case success, retry, rateLimited, transportError, failed

    public var label: String {
        switch self {
        case .success: "success"
        case .retry: "retry"
        case .rateLimited: "rate_limited"
        case .transportError: "transport_error"
        case .failed: "failed"
        }
    }
}

/// Status codes counted one by one (those the providers document), the rest
/// by class, so the table stays fixed-size in shared memory.
public enum StatusCodeBucket {
    public static let exactCodes = [200, 201, 202, 204, 400, 401, 402, 403, 404, 408, 409, 413, 422, 425, 429, 500, 502, 503, 504]
    /// Exact codes, then the classes 1xx…5xx, then anything else.
    public static let count = exactCodes.count + 6

    public static func index(of status: Int) -> Int {
        if let exact = exactCodes.firstIndex(of: status) { return exact }
        guard (100..<600).contains(status) else { return count - 1 }
        return exactCodes.count + status / 100 - 1
    }

    /// The `code` label of bucket `index`: "429", "2xx", or "other".
    public static func label(_ index: Int) -> String {
        if index < exactCodes.count { return "\(exactCodes[index])" }
        if index < count - 1 { return "\(index - exactCodes.count + 1)xx" }
        return "other"
    }
}

/// A fixed-bucket latency histogram: counts per bucket (not cumulative) and
/// the sum of every observation.
public struct LatencyHistogram: Equatable, Sendable {
    /// Upper bounds of the buckets, in nanoseconds (inclusive): 1 ms … 60 s;
    /// a last bucket, +Inf, follows. Shared by every latency Sluice records
    /// but one.
    public static let bounds: [UInt64] = [
        1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
    ].map { $0 * 1_000_000 }
    /// Finer bounds, 50 µs … 100 ms, for how late requests start after their
    /// granted instant: the edge guard is chosen among them.
    public static let finerBounds: [UInt64] = [
        50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000, 75_000, 100_000,
    ].map { $0 * 1_000 }
    /// Words in shared memory: one per bucket, then the sum.
    static let words = bounds.count + 2
    static let finerWords = finerBounds.count + 2

    /// This histogram's bucket bounds (`bounds` or `finerBounds`).
    public let bucketBounds: [UInt64]
    public var counts: [UInt64]
    public var sumNanoseconds: UInt64 = 0

    public init(bounds: [UInt64] = LatencyHistogram.bounds) {
        bucketBounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    public var count: UInt64 { counts.reduce(0, &+) }

    static func bucket(of nanoseconds: UInt64, bounds: [UInt64] = LatencyHistogram.bounds) -> Int {
        var bucket = 0
        while bucket < bounds.count, nanoseconds > bounds[bucket] { bucket += 1 }
        return bucket
    }

    /// How many observations were above `bound` (which must be one of the
    /// bucket bounds; otherwise the bucket holding it counts as above).
    public func count(above bound: UInt64) -> UInt64 {
        let first = Self.bucket(of: bound, bounds: bucketBounds)
        let atOrBelow = first < bucketBounds.count && bucketBounds[first] == bound ? first + 1 : first
        return counts[atOrBelow...].reduce(0, &+)
    }

    /// The observations made since `earlier` (a snapshot of the same histogram).
    public func subtracting(_ earlier: LatencyHistogram) -> LatencyHistogram {
        var difference = LatencyHistogram(bounds: bucketBounds)
        difference.counts = zip(counts, earlier.counts).map { $0 &- $1 }
        difference.sumNanoseconds = sumNanoseconds &- earlier.sumNanoseconds
        return difference
    }

    /// The `q`-quantile (0…1), interpolated linearly within its bucket as
    /// Prometheus's `histogram_quantile` does; nil with no observations. In
    /// the +Inf bucket it answers the last finite bound (a lower bound).
    public func quantile(_ q: Double) -> UInt64? {
        let total = count
        guard total > 0 else { return nil }
        let rank = q * Double(total)
        var seen: UInt64 = 0
        for (bucket, inBucket) in counts.enumerated() where inBucket > 0 {
            if Double(seen + inBucket) >= rank {
                guard bucket < bucketBounds.count else { return bucketBounds.last }
                let lower = bucket == 0 ? 0 : Double(bucketBounds[bucket - 1])
                let upper = Double(bucketBounds[bucket])
                let fraction = max(0, rank - Double(seen)) / Double(inBucket)
                return UInt64(lower + (upper - lower) * fraction)
            }
            seen += inBucket
        }
        return bucketBounds.last
    }
}

/// This process's shard, for recording.
public struct TaskStatisticsRecorder: Sendable {
    let queue: QueueHandle
    private var shard: CounterShard { queue.counters }

    /// Counts `count` tasks newly accepted into the spool.
    public func enqueued(_ count: Int) {
        guard count > 0 else { return }
        shard.add(word: TaskStatistics.Word.enqueued, UInt64(count))
    }

    /// Counts a request about to be sent, `scheduleToStart` ns after its task was due.
    public func requestStarted(scheduleToStart: UInt64) {
        shard.add(word: TaskStatistics.Word.requestsStarted, 1)
        shard.observe(scheduleToStart, histogramAt: TaskStatistics.Word.scheduleToStart)
    }

    /// Records how late after its granted instant a request went on the
    /// wire, or was found too late to go (`rebooked`: not sent, booked again).
    public func started(lateness: UInt64, rebooked: Bool) {
        shard.observe(lateness, histogramAt: TaskStatistics.Word.startLateness, bounds: LatencyHistogram.finerBounds)
        if rebooked { shard.add(word: TaskStatistics.Word.lateRebooked, 1) }
    }

    /// Counts a concluded attempt: its result, its status (nil when no answer
    /// came) and how long the request took.
    public func attemptConcluded(_ result: AttemptResult, status: Int?, duration: UInt64) {
        shard.add(word: TaskStatistics.Word.attempts + result.rawValue, 1)
        if let status { shard.add(word: TaskStatistics.Word.responses + StatusCodeBucket.index(of: status), 1) }
        shard.observe(duration, histogramAt: TaskStatistics.Word.requestDuration)
    }

    /// Counts a task finished for good.
    public func completed(success: Bool) {
        shard.add(word: success ? TaskStatistics.Word.completedSuccess : TaskStatistics.Word.completedDead, 1)
    }
}

extension CounterShard {
    @inline(__always)
    func add(word: Int, _ amount: UInt64) {
        base.atomicWord(at: word * 8).pointee.wrappingAdd(amount, ordering: .relaxed)
    }

    func observe(_ nanoseconds: UInt64, histogramAt first: Int, bounds: [UInt64] = LatencyHistogram.bounds) {
        add(word: first + LatencyHistogram.bucket(of: nanoseconds, bounds: bounds), 1)
        add(word: first + bounds.count + 1, nanoseconds)
    }

    func word(_ position: Int) -> UInt64 { base.atomicWord(at: position * 8).pointee.load(ordering: .relaxed) }

    /// Adds this shard's histogram at word `first` into `histogram`.
    func addHistogram(at first: Int, into histogram: inout LatencyHistogram) {
        for bucket in histogram.counts.indices { histogram.counts[bucket] &+= word(first + bucket) }
        histogram.sumNanoseconds &+= word(first + histogram.bucketBounds.count + 1)
    }
}

extension QueueHandle {
    /// Records into this process's shard.
    public var taskStatistics: TaskStatisticsRecorder { TaskStatisticsRecorder(queue: self) }

    /// The queue's task statistics summed over every process.
    public var taskStatisticsTotals: TaskStatistics {
        var totals = TaskStatistics()
        for index in 0..<SegmentLayout.counterShards {
            let shard = counterShard(index)
            totals.enqueued &+= shard.word(TaskStatistics.Word.enqueued)
            totals.requestsStarted &+= shard.word(TaskStatistics.Word.requestsStarted)
            totals.completedSuccess &+= shard.word(TaskStatistics.Word.completedSuccess)
            totals.completedDead &+= shard.word(TaskStatistics.Word.completedDead)
            for result in totals.attempts.indices { totals.attempts[result] &+= shard.word(TaskStatistics.Word.attempts + result) }
            for bucket in totals.responses.indices { totals.responses[bucket] &+= shard.word(TaskStatistics.Word.responses + bucket) }
            shard.addHistogram(at: TaskStatistics.Word.scheduleToStart, into: &totals.scheduleToStart)
            shard.addHistogram(at: TaskStatistics.Word.requestDuration, into: &totals.requestDuration)
            shard.addHistogram(at: TaskStatistics.Word.startLateness, into: &totals.startLateness)
            totals.lateRebooked &+= shard.word(TaskStatistics.Word.lateRebooked)
        }
        return totals
    }
}
