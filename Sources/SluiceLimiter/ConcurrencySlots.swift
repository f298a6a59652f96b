import Glibc
import SluicePOSIX
import Synchronization

/// A fleet-wide concurrency slot held by this process (QStash's "parallelism").
public struct ConcurrencySlot: Equatable, Sendable {
    /// The slot's position in the queue's slot table; -1 when the queue has
    /// no concurrency limit (nothing was taken, release is a no-op).
    public let index: Int

    static let unlimited = ConcurrencySlot(index: -1)
}

/// A queue's slot table: one word per slot, holding the owner's pid or 0.
///
/// Slots, unlike POSIX semaphores, remember who holds them: when a process
/// dies, `reclaim(deadPID:)` frees exactly its slots, so a `kill -9` never
/// leaks capacity.
extension QueueHandle {
    private func slot(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        block.atomicWord(at: SegmentLayout.Block.slots + index * 8)
    }

    /// Takes a slot for this process, or returns nil if `maxConcurrent` are
    /// already held. Never waits.
    ///
    /// If `maxConcurrent` is lowered while slots are held, slots above the new
    /// limit stay held until released; no new slot is given above the limit.
    public func takeSlot() -> ConcurrencySlot? {
        let limit = Int(ConfigRecord.read(block: block).maxConcurrent)
        guard limit > 0 else { return .unlimited }
        let me = UInt64(UInt32(bitPattern: coordinator.pid))
        // Start where this process usually finds a free slot, away from others.
        let start = Int(me % UInt64(limit))
        for offset in 0..<limit {
            let index = (start + offset) % limit
            if slot(index).pointee.load(ordering: .relaxed) == 0,
               slot(index).pointee.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing).exchanged {
                counters.add(.slotsTaken)
                return ConcurrencySlot(index: index)
            }
        }
        counters.add(.slotsRefused)
        return nil
    }

    /// Gives a slot back. Returns false if this process no longer held it
    /// (it was reclaimed: the supervisor thought us dead).
    @discardableResult
    public func release(_ slot: ConcurrencySlot) -> Bool {
        guard slot.index >= 0 else { return true }
        let me = UInt64(UInt32(bitPattern: coordinator.pid))
        return self.slot(slot.index).pointee.compareExchange(expected: me, desired: 0, ordering: .acquiringAndReleasing).exchanged
    }

    /// Slots held right now, by any process.
    public var slotsInUse: Int {
        (0..<coordinator.layout.slotCapacity).reduce(0) { $0 + (slot($1).pointee.load(ordering: .relaxed) != 0 ? 1 : 0) }
    }

    /// Slots held by `pid`.
    public func slotsHeld(by pid: pid_t) -> Int {
        let owner = UInt64(UInt32(bitPattern: pid))
        return (0..<coordinator.layout.slotCapacity).reduce(0) { $0 + (slot($1).pointee.load(ordering: .relaxed) == owner ? 1 : 0) }
    }

    /// Frees every slot (and pending keyed claim) whose owner no longer
    /// exists, whoever it was: processes that died while no supervisor
    /// watched them (a fleet killed whole, a worker-only deployment). Returns
    /// how many slots were freed.
    func reclaimDeadOwners() -> Int {
        var owners = Set<UInt64>()
        for index in 0..<coordinator.layout.slotCapacity {
            let owner = slot(index).pointee.load(ordering: .relaxed)
            if owner != 0 { owners.insert(owner) }
        }
        return owners.filter { !ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: $0)) }
            .reduce(0) { $0 + reclaim(deadPID: pid_t(truncatingIfNeeded: $1)) }
            + keyedCells.clearPendingOfDeadClaimers()
    }

    /// Frees the slots and pending keyed claims of the dead process `pid`.
    /// Returns how many slots were freed.
    func reclaim(deadPID pid: pid_t) -> Int {
        let owner = UInt64(UInt32(bitPattern: pid))
        var freed = 0
        for index in 0..<coordinator.layout.slotCapacity where slot(index).pointee.load(ordering: .relaxed) == owner {
            if slot(index).pointee.compareExchange(expected: owner, desired: 0, ordering: .acquiringAndReleasing).exchanged {
                freed += 1
            }
        }
        keyedCells.clearPending(ownedBy: pid)
        counters.add(.slotsReclaimed, freed)
        return freed
    }
}
