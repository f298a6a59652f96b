import Glibc
import SluicePOSIX
import Synchronization
import SluiceCore

/// A fleet's shared-memory rate-limit coordinator, attached in this process.
///
/// One POSIX shared-memory segment per fleet holds every queue's GCRA cells,
/// live limits, concurrency slots and counters. Every process of the fleet
/// maps it; all decisions are made with atomic operations on it, so the limits
/// hold across processes with no server and no lock on the hot path.
public final class Coordinator: @unchecked Sendable {
    public let fleet: FleetName
    public let layout: SegmentLayout
    let segment: SharedMemoryObject
    let clock: any InstantSource
    /// This process's counter shard: processes spread their counter writes
    /// over 16 lines instead of contending on one.
    let counterShard: Int
    let pid: pid_t

    init(fleet: FleetName, layout: SegmentLayout, segment: SharedMemoryObject, clock: any InstantSource) {
        self.fleet = fleet
        self.layout = layout
        self.segment = segment
        self.clock = clock
        self.pid = getpid()
        self.counterShard = Int(UInt32(bitPattern: getpid())) % SegmentLayout.counterShards
    }

    var base: UnsafeMutableRawPointer { segment.base }

    var adminLock: AdminLock { AdminLock(word: base.atomicWord(at: SegmentLayout.Header.adminLock)) }

    // MARK: Opening

    /// Attaches the fleet's segment, creating it (owner-only, `O_EXCL`) if none exists.
    ///
    /// With `reset`, an existing segment is removed first: the fix for a
    /// stale, foreign or incompatible one (`--reset-shm`). Processes still
    /// mapping the old one keep it until they exit; they no longer share
    /// limits with new ones, so reset only when the fleet is stopped.
    public static func open(
        fleet: FleetName, layout: SegmentLayout = .default, reset: Bool = false,
        clock: any InstantSource = SystemInstantSource()
    ) throws(CoordinatorError) -> Coordinator {
        if reset { _ = try remove(fleet: fleet) }
        do {
            return try create(fleet: fleet, layout: layout, clock: clock)
        } catch .system(let failure) where failure.errno == EEXIST {
            return try attach(fleet: fleet, clock: clock)
        }
    }

    /// Creates the fleet's segment; fails if it exists.
    public static func create(
        fleet: FleetName, layout: SegmentLayout = .default, clock: any InstantSource = SystemInstantSource()
    ) throws(CoordinatorError) -> Coordinator {
        let segment: SharedMemoryObject
        do {
            segment = try SharedMemoryObject.createExclusive(name: fleet.sharedMemoryName, size: layout.segmentSize)
        } catch {
            throw CoordinatorError(error)
        }
        SegmentHeader.initialise(segment.base, layout: layout, fleet: fleet)
        return Coordinator(fleet: fleet, layout: layout, segment: segment, clock: clock)
    }

    /// Attaches an existing segment after checking it is a compatible Sluice
    /// segment owned by us (see `SegmentHeader.validate`).
    public static func attach(fleet: FleetName, clock: any InstantSource = SystemInstantSource()) throws(CoordinatorError) -> Coordinator {
        let (layout, segment) = try SegmentHeader.validatedAttach(fleet: fleet)
        return Coordinator(fleet: fleet, layout: layout, segment: segment, clock: clock)
    }

    /// Removes the fleet's segment name. Returns false if there was none.
    @discardableResult
    public static func remove(fleet: FleetName) throws(CoordinatorError) -> Bool {
        do {
            return try SharedMemoryObject.unlink(name: fleet.sharedMemoryName)
        } catch {
            throw CoordinatorError(error)
        }
    }

    // MARK: Queues

    /// Registers `name` with `limits`, or updates its limits if it exists.
    /// Every process sees the new limits on its next reservation.
    @discardableResult
    public func register(queue name: QueueName, limits: QueueLimits) throws(CoordinatorError) -> QueueHandle {
        try limits.validate(for: layout)
        return try adminLock.withLock { () throws(CoordinatorError) -> QueueHandle in
            if let existing = findQueue(name) {
                ConfigRecord(limits: limits).publish(block: existing.block)
                return existing
            }
            guard let free = (0..<layout.queueCapacity).first(where: { queueState($0).pointee.load(ordering: .acquiring) == 0 }) else {
                throw .queueTableFull(capacity: layout.queueCapacity)
            }
            let block = base + layout.blockOffset(free)
            let nameBytes = Array(name.rawValue.utf8)
            block.storeBytes(of: UInt64(nameBytes.count), toByteOffset: SegmentLayout.Block.nameLength, as: UInt64.self)
            nameBytes.withUnsafeBytes { (block + SegmentLayout.Block.name).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            ConfigRecord(limits: limits).publish(block: block)
            // Publish last: a reader that sees "active" sees the name and limits too.
            queueState(free).pointee.store(1, ordering: .releasing)
            return QueueHandle(coordinator: self, name: name, index: free)
        }
    }

    /// The registered queue called `name`.
    public func queue(_ name: QueueName) throws(CoordinatorError) -> QueueHandle {
        guard let handle = findQueue(name) else { throw .unknownQueue(name.rawValue) }
        return handle
    }

    /// Every registered queue, in registration order.
    public func queues() -> [QueueHandle] {
        (0..<layout.queueCapacity).compactMap { index in
            guard queueState(index).pointee.load(ordering: .acquiring) == 1, let name = queueName(at: index) else { return nil }
            return QueueHandle(coordinator: self, name: name, index: index)
        }
    }

    /// Frees everything the dead process `pid` held: its concurrency slots, the
    /// keyed cells it was claiming, and the admin lock.
    ///
    /// Requires: `pid` has exited (reaped or not). Calling it for a live
    /// process would let a second owner into its slots.
    @discardableResult
    public func reclaim(deadPID pid: pid_t) -> Int {
        adminLock.reclaim(from: pid)
        return queues().reduce(0) { $0 + $1.reclaim(deadPID: pid) }
    }

    /// Frees what every process that no longer exists held: slots and
    /// pending keyed claims of processes that died unwatched (no supervisor
    /// reaped them). Returns how many slots were freed.
    @discardableResult
    public func reclaimDeadOwners() -> Int {
        queues().reduce(0) { $0 + $1.reclaimDeadOwners() }
    }

    private func findQueue(_ name: QueueName) -> QueueHandle? {
        queues().first { $0.name == name }
    }

    private func queueState(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        base.atomicWord(at: layout.blockOffset(index) + SegmentLayout.Block.state)
    }

    private func queueName(at index: Int) -> QueueName? {
        let block = base + layout.blockOffset(index)
        // Compared before converting: a length past Int.max trapped (found by fuzzing).
        let length = block.load(fromByteOffset: SegmentLayout.Block.nameLength, as: UInt64.self)
        guard length <= UInt64(QueueName.maximumLength) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: block + SegmentLayout.Block.name, count: Int(length))
        return try? QueueName(validating: String(decoding: bytes, as: UTF8.self))
    }
}

extension CoordinatorError {
    init(_ error: SystemError) {
        self = .system(SystemCallFailure(errno: error.errno, description: error.description))
    }
}
