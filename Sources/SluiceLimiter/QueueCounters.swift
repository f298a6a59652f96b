import Synchronization

/// A queue's fleet-wide counters and wait-time histogram, summed over shards.
///
/// Each process adds to its own shard (one of 16 lines, chosen by pid), so the
/// hot path never contends on a counter; readers sum the shards. Counters
/// only grow (Prometheus counters), wrapping at 2⁶⁴.
public struct QueueCounters: Equatable, Sendable {
    /// Requests granted a start instant: every grant lands in one histogram
    /// bucket, so this is their sum (not stored twice).
    public var reservations: UInt64 { waitHistogram.reduce(0, &+) }
    /// Grants whose start instant was in the future (the caller had to wait).
    public var waits: UInt64 = 0
    /// Total nanoseconds granted requests had to wait.
    public var waitNanoseconds: UInt64 = 0
    public var denials: UInt64 = 0
    public var pausedRefusals: UInt64 = 0
    public var costRejections: UInt64 = 0
    public var keyTableFull: UInt64 = 0
    public var slotsTaken: UInt64 = 0
    public var slotsRefused: UInt64 = 0
    public var pushBacks: UInt64 = 0
    public var slotsReclaimed: UInt64 = 0
    /// Requests refused because their key alone would not allow them within
    /// the booking horizon (a worker gives each back to the spool).
    public var keyDeferrals: UInt64 = 0
    /// Grants per wait bucket; `waitBucketBounds[i]` is bucket i's upper bound
    /// (ns, inclusive), the last bucket is +Inf. Not cumulative.
    public var waitHistogram: [UInt64] = Array(repeating: 0, count: QueueCounters.waitBucketBounds.count + 1)

    /// Upper bounds of the wait histogram's buckets, in nanoseconds:
    /// 1 ms … 60 s, then +Inf.
    public static let waitBucketBounds = LatencyHistogram.bounds

    /// Word positions within a shard.
    enum Field: Int, CaseIterable {
        case waits, waitNanoseconds, denials, pausedRefusals, costRejections
        case keyTableFull, slotsTaken, slotsRefused, pushBacks, slotsReclaimed
        static let histogram = 10 // 15 words follow
        // After the histogram (words 25…31 were free in layout 2).
        case keyDeferrals = 25
    }
}

/// This process's shard of a queue's counters.
struct CounterShard {
    let base: UnsafeMutableRawPointer

    @inline(__always)
    func add(_ field: QueueCounters.Field, _ amount: Int = 1) {
        base.atomicWord(at: field.rawValue * 8).pointee.wrappingAdd(UInt64(amount), ordering: .relaxed)
    }

    /// Counts a grant that had to wait `wait` ns (0 for an immediate start).
    @inline(__always)
    func recordGrant(wait: UInt64) {
        if wait > 0 {
            add(.waits)
            base.atomicWord(at: QueueCounters.Field.waitNanoseconds.rawValue * 8).pointee.wrappingAdd(wait, ordering: .relaxed)
        }
        add(word: QueueCounters.Field.histogram + LatencyHistogram.bucket(of: wait), 1)
    }
}

extension QueueHandle {
    var counters: CounterShard { counterShard(coordinator.counterShard) }

    func counterShard(_ index: Int) -> CounterShard {
        CounterShard(base: block + SegmentLayout.Block.counterShards + index * SegmentLayout.Block.shardSize)
    }

    /// The queue's counters summed over every process.
    public var counterTotals: QueueCounters {
        var totals = QueueCounters()
        for index in 0..<SegmentLayout.counterShards {
            let shard = counterShard(index).base
            func word(_ position: Int) -> UInt64 { shard.atomicWord(at: position * 8).pointee.load(ordering: .relaxed) }
            totals.waits &+= word(QueueCounters.Field.waits.rawValue)
            totals.waitNanoseconds &+= word(QueueCounters.Field.waitNanoseconds.rawValue)
            totals.denials &+= word(QueueCounters.Field.denials.rawValue)
            totals.pausedRefusals &+= word(QueueCounters.Field.pausedRefusals.rawValue)
            totals.costRejections &+= word(QueueCounters.Field.costRejections.rawValue)
            totals.keyTableFull &+= word(QueueCounters.Field.keyTableFull.rawValue)
            totals.slotsTaken &+= word(QueueCounters.Field.slotsTaken.rawValue)
            totals.slotsRefused &+= word(QueueCounters.Field.slotsRefused.rawValue)
            totals.pushBacks &+= word(QueueCounters.Field.pushBacks.rawValue)
            totals.slotsReclaimed &+= word(QueueCounters.Field.slotsReclaimed.rawValue)
            totals.keyDeferrals &+= word(QueueCounters.Field.keyDeferrals.rawValue)
            for bucket in totals.waitHistogram.indices {
                totals.waitHistogram[bucket] &+= word(QueueCounters.Field.histogram + bucket)
            }
        }
        return totals
    }
}
