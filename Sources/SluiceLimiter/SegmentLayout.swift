/// Where everything lives in a fleet's shared-memory segment.
///
/// ```
/// header (4 KiB)         magic · layout version · size · owner uid · geometry · fleet name
///                        admin lock (own line)
/// queue block × Q        identity · config generation · 2 config records
///                        main GCRA cell · weighted cells × 4        (each on its own line)
///                        counter shards × 16                        (one per process group:
///                                                                   limiter counters, then task statistics)
///                        concurrency slots × S                      (owner pid per slot)
///                        keyed cells × K                            ((key hash, TAT) pairs)
///                        tasks in hand × 256                        (per worker process: the task
///                                                                   its provider code runs for)
///                        grant ledger                               (several hosts: the start instants
///                                                                   reserved from Redis; see `GrantLedger`)
/// ```
/// "Line" here is 128 bytes, two cache lines: x86's adjacent-line prefetcher
/// fetches lines in pairs, so cells written by different processes stay
/// 128 bytes apart to avoid false sharing.
///
/// Every multi-byte field is naturally aligned; fields shared between
/// processes are only accessed through `Atomic`.
public struct SegmentLayout: Equatable, Sendable {
    /// Queue blocks in the segment.
    public let queueCapacity: Int
    /// Concurrency slots per queue: the largest fleet-wide `maxConcurrent`.
    public let slotCapacity: Int
    /// Keyed cells per queue (a power of two).
    public let keyedCapacity: Int

    public static let weightedCapacity = 4
    public static let counterShards = 16
    /// Positions a key may occupy, starting at its home position.
    public static let keyProbeWindow = 8

    public static let line = 128
    public static let headerSize = 4096
    public static let magic: UInt64 = 0x3130_4543_4955_4C53 // "SLUICE01", little-endian
    public static let layoutVersion: UInt32 = 4 // 2: task statistics in the counter shards; 3: tasks in hand; 4: grant ledger
    /// Worker processes per queue whose task in hand is recorded (`TaskInHand`).
    public static let inHandCapacity = 256
    /// Bytes per task-in-hand entry: owner pid, active flag, due time, key hash.
    static let inHandEntrySize = 32

    public static let `default` = SegmentLayout(checkedQueueCapacity: 32, slotCapacity: 1024, keyedCapacity: 4096)

    public init(queueCapacity: Int, slotCapacity: Int, keyedCapacity: Int) throws(CoordinatorError) {
        guard (1...1024).contains(queueCapacity) else { throw .invalidGeometry("queue capacity \(queueCapacity) is not in 1…1024") }
        guard (1...65536).contains(slotCapacity) else { throw .invalidGeometry("slot capacity \(slotCapacity) is not in 1…65536") }
        guard keyedCapacity >= Self.keyProbeWindow, keyedCapacity <= 1 << 20, keyedCapacity & (keyedCapacity - 1) == 0 else {
            throw .invalidGeometry("keyed capacity \(keyedCapacity) is not a power of two in \(Self.keyProbeWindow)…\(1 << 20)")
        }
        self.init(checkedQueueCapacity: queueCapacity, slotCapacity: slotCapacity, keyedCapacity: keyedCapacity)
    }

    private init(checkedQueueCapacity: Int, slotCapacity: Int, keyedCapacity: Int) {
        self.queueCapacity = checkedQueueCapacity
        self.slotCapacity = slotCapacity
        self.keyedCapacity = keyedCapacity
    }

    // MARK: Header fields (byte offsets from the segment start)

    enum Header {
        static let magic = 0            // Atomic<UInt64>; stored last by the creator (release)
        static let layoutVersion = 8    // UInt32
        static let ownerUID = 12        // UInt32
        static let segmentSize = 16     // UInt64
        static let queueCapacity = 24   // UInt32
        static let slotCapacity = 28    // UInt32
        static let keyedCapacity = 32   // UInt32
        static let creatorPID = 40      // Int64
        static let createdAtRealtime = 48 // UInt64, ns since the epoch
        static let fleetName = 64       // 64 bytes, NUL-padded
        static let adminLock = 256      // Atomic<UInt64>: pid of the holder, 0 if free
    }

    // MARK: Queue block (byte offsets from the block start)

    enum Block {
        static let state = 0            // Atomic<UInt64>: 0 free, 1 active
        static let nameLength = 8       // UInt64
        static let name = 16            // 64 bytes
        static let configGeneration = line          // Atomic<UInt64>
        static let pushedBackUntil = line + 8       // Atomic<UInt64>, monotonic ns
        static let weightedOverruns = line + 16     // Atomic<UInt64>: usage reports above their estimate, so far
        static let configRecords = 2 * line         // 2 records of `ConfigRecord.size`
        static let mainCell = 4 * line              // Atomic<UInt64> TAT
        static let weightedCells = 5 * line         // weightedCapacity × line
        static let counterShards = (5 + SegmentLayout.weightedCapacity) * line
        static let shardSize = 1024                 // 128 words: limiter counters at 0, task statistics at 32
        static let slots = counterShards + SegmentLayout.counterShards * shardSize
    }

    /// Offset of queue block `index` from the segment start.
    func blockOffset(_ index: Int) -> Int { Self.headerSize + index * blockSize }

    /// Offset of the keyed cells within a block.
    var keyedCellsOffset: Int { Self.roundUp(Block.slots + slotCapacity * 8) }

    /// Offset of the tasks-in-hand table within a block.
    var inHandOffset: Int { Self.roundUp(keyedCellsOffset + keyedCapacity * 16) }

    /// Offset of the grant ledger within a block.
    var ledgerOffset: Int { Self.roundUp(inHandOffset + Self.inHandCapacity * Self.inHandEntrySize) }

    /// Bytes per queue block, a whole number of lines.
    var blockSize: Int { Self.roundUp(ledgerOffset + GrantLedger.size) }

    /// Bytes in the whole segment.
    public var segmentSize: Int { Self.headerSize + queueCapacity * blockSize }

    private static func roundUp(_ value: Int) -> Int { (value + line - 1) / line * line }
}
