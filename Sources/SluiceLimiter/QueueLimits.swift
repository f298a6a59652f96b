import Synchronization

/// Everything that limits one queue, as set by configuration or an operator.
public struct QueueLimits: Equatable, Sendable {
    /// The queue's request rate and burst (one unit per request).
    public var rate: GCRA.Limit
    /// A limit per key (e.g. per sending number), or none.
    public var perKey: GCRA.Limit?
    /// Extra cells charged by a request's cost (e.g. tokens per minute), at most four.
    public var weighted: [GCRA.Limit]
    /// Requests in flight at once across the fleet; 0 means no limit.
    public var maxConcurrent: Int
    /// A paused queue grants nothing until resumed.
    public var paused: Bool
    /// How late after its granted instant a request may still go on the
    /// wire, in ns; 0: no edge guard (the worker's default tolerance).
    ///
    /// Set with the rate by the supervisor's rate learning (`RateLearner`):
    /// `rate` is then already spaced so that a request this late cannot
    /// reach the provider inside the window of the request a window before
    /// it, and a request that would go later is not sent but booked again.
    public var edgeGuard: UInt64

    public init(
        rate: GCRA.Limit, perKey: GCRA.Limit? = nil, weighted: [GCRA.Limit] = [],
        maxConcurrent: Int = 0, paused: Bool = false, edgeGuard: UInt64 = 0
    ) {
        self.rate = rate
        self.perKey = perKey
        self.weighted = weighted
        self.maxConcurrent = maxConcurrent
        self.paused = paused
        self.edgeGuard = edgeGuard
    }

    /// Checks the limits fit a segment of `layout`; the error names the field.
    func validate(for layout: SegmentLayout) throws(CoordinatorError) {
        guard weighted.count <= SegmentLayout.weightedCapacity else {
            throw .invalidLimits("weighted: \(weighted.count) limits given; a queue has at most \(SegmentLayout.weightedCapacity)")
        }
        guard (0...layout.slotCapacity).contains(maxConcurrent) else {
            throw .invalidLimits("maxConcurrent: \(maxConcurrent) is not in 0…\(layout.slotCapacity) (0 means no limit)")
        }
    }
}

/// One queue's limits as stored in the segment: 16 words, 128 bytes, read
/// on every reservation without allocating.
///
/// Two records per queue and a generation word make a seqlock whose writer
/// only ever writes the record readers are *not* told to read: the record for
/// generation `g` is `records[g & 1]`. A writer killed half-way through
/// leaves a half-written record nobody reads, so readers never block.
struct ConfigRecord: Equatable {
    static let size = 128

    var flags: UInt64 = 0
    var rate = GCRA.Limit.unlimited
    var perKey = GCRA.Limit.unlimited
    var maxConcurrent: UInt64 = 0
    var weightedCount: UInt64 = 0
    var weighted0 = GCRA.Limit.unlimited
    var weighted1 = GCRA.Limit.unlimited
    var weighted2 = GCRA.Limit.unlimited
    var weighted3 = GCRA.Limit.unlimited
    var edgeGuard: UInt64 = 0

    private enum Word {
        static let flags = 0, interval = 1, tolerance = 2, keyInterval = 3, keyTolerance = 4
        static let maxConcurrent = 5, weightedCount = 6, weighted = 7 // 4 × (interval, tolerance)
        static let edgeGuard = 15
    }

    enum Flag {
        static let paused: UInt64 = 1
        static let hasPerKey: UInt64 = 2
    }

    var paused: Bool { flags & Flag.paused != 0 }
    var hasPerKey: Bool { flags & Flag.hasPerKey != 0 }

    /// The `index`th weighted limit. Requires: `index < weightedCount`.
    @inline(__always)
    func weighted(_ index: Int) -> GCRA.Limit {
        switch index {
        case 0: weighted0
        case 1: weighted1
        case 2: weighted2
        default: weighted3
        }
    }

    init(limits: QueueLimits) {
        flags = (limits.paused ? Flag.paused : 0) | (limits.perKey != nil ? Flag.hasPerKey : 0)
        rate = limits.rate
        perKey = limits.perKey ?? .unlimited
        maxConcurrent = UInt64(limits.maxConcurrent)
        weightedCount = UInt64(limits.weighted.count)
        let padded = limits.weighted + Array(repeating: .unlimited, count: SegmentLayout.weightedCapacity - limits.weighted.count)
        (weighted0, weighted1, weighted2, weighted3) = (padded[0], padded[1], padded[2], padded[3])
        edgeGuard = limits.edgeGuard
    }

    private init() {}

    /// The limits in their public shape.
    var limits: QueueLimits {
        QueueLimits(
            rate: rate, perKey: hasPerKey ? perKey : nil,
            weighted: (0..<Int(min(weightedCount, UInt64(SegmentLayout.weightedCapacity)))).map(weighted),
            maxConcurrent: Int(maxConcurrent), paused: paused, edgeGuard: edgeGuard
        )
    }

    /// Reads the current record of the queue block at `block`; never blocks,
    /// never allocates.
    @inline(__always)
    static func read(block: UnsafeMutableRawPointer) -> ConfigRecord {
        let generation = block.atomicWord(at: SegmentLayout.Block.configGeneration)
        while true {
            let before = generation.pointee.load(ordering: .acquiring)
            let record = load(block + SegmentLayout.Block.configRecords + Int(before & 1) * size)
            // Order the record's loads before the second generation load
            // (the reader half of a seqlock).
            atomicMemoryFence(ordering: .acquiring)
            if generation.pointee.load(ordering: .relaxed) == before { return record }
        }
    }

    /// The generation of the current record: bumps on every write.
    static func generation(block: UnsafeMutableRawPointer) -> UInt64 {
        block.atomicWord(at: SegmentLayout.Block.configGeneration).pointee.load(ordering: .acquiring)
    }

    /// Publishes `self` as the queue's new record.
    ///
    /// Requires: the caller holds the segment's admin lock (writers are
    /// serialised). After this returns, no reader can observe the old record.
    func publish(block: UnsafeMutableRawPointer) {
        let generation = block.atomicWord(at: SegmentLayout.Block.configGeneration)
        let current = generation.pointee.load(ordering: .acquiring)
        // No store below may be reordered before the load above: readers of
        // generation `current` may still be reading the record we will not touch,
        // and the one we write was retired at least one generation ago.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        store(block + SegmentLayout.Block.configRecords + Int((current + 1) & 1) * Self.size)
        generation.pointee.store(current + 1, ordering: .releasing)
    }

    @inline(__always)
    private static func load(_ record: UnsafeMutableRawPointer) -> ConfigRecord {
        @inline(__always) func word(_ index: Int) -> UInt64 { record.atomicWord(at: index * 8).pointee.load(ordering: .relaxed) }
        @inline(__always) func limit(_ index: Int) -> GCRA.Limit { GCRA.Limit(interval: word(index), tolerance: word(index + 1)) }
        var result = ConfigRecord()
        result.flags = word(Word.flags)
        result.rate = limit(Word.interval)
        result.perKey = limit(Word.keyInterval)
        result.maxConcurrent = word(Word.maxConcurrent)
        result.weightedCount = word(Word.weightedCount)
        result.edgeGuard = word(Word.edgeGuard)
        if result.weightedCount > 0 {
            result.weighted0 = limit(Word.weighted)
            result.weighted1 = limit(Word.weighted + 2)
            result.weighted2 = limit(Word.weighted + 4)
            result.weighted3 = limit(Word.weighted + 6)
        }
        return result
    }

    private func store(_ record: UnsafeMutableRawPointer) {
        func put(_ index: Int, _ value: UInt64) { record.atomicWord(at: index * 8).pointee.store(value, ordering: .relaxed) }
        func put(_ index: Int, _ limit: GCRA.Limit) {
            put(index, limit.interval)
            put(index + 1, limit.tolerance)
        }
        put(Word.flags, flags)
        put(Word.interval, rate)
        put(Word.keyInterval, perKey)
        put(Word.maxConcurrent, maxConcurrent)
        put(Word.weightedCount, weightedCount)
        put(Word.edgeGuard, edgeGuard)
        for index in 0..<SegmentLayout.weightedCapacity { put(Word.weighted + 2 * index, weighted(index)) }
    }
}
