import Glibc
import SluicePOSIX
import Synchronization

/// The task a worker process is running provider code for right now
/// (building its request, estimating its cost, classifying its answer):
/// a leased task's due time and a hash of its file key, as the spool names
/// its lease `<pid>-<due>-<key>`.
///
/// Why in the segment: when a worker dies by a signal, this is what the
/// supervisor reads to know which task killed it, and no other of the
/// many the worker had in flight (see the supervisor's poison handling).
public struct TaskInHand: Equatable, Sendable {
    public let dueAt: UInt64
    public let keyHash: UInt64

    /// True if the lease of `key` due at `dueAt` is this task.
    public func matches(dueAt: UInt64, key: String) -> Bool {
        self.dueAt == dueAt && keyHash == KeyedCells.hash(key)
    }
}

/// This process's entry in its queue's tasks-in-hand table.
public struct TaskInHandEntry: Sendable, Equatable {
    let index: Int
}

/// A queue's tasks-in-hand table: one entry per worker process (256 per
/// queue), each four words: owner pid (0: free), active (1 while provider
/// code runs for the task), due time, key hash.
///
/// Protocol: only the owner writes its entry, the due time and hash first,
/// then `active` (release); it clears `active` when the code returns. The
/// supervisor reads an entry only after its owner died (reaped), so it sees
/// either no task or a whole one.
extension QueueHandle {
    private func inHandWord(_ entry: Int, _ word: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        block.atomicWord(at: coordinator.layout.inHandOffset + entry * SegmentLayout.inHandEntrySize + word * 8)
    }

    /// Takes an entry for this process: a free one, its own (a reused pid),
    /// or one whose owner is gone. Nil when all 256 belong to live processes:
    /// the process then runs without one (a crash it causes is not blamed).
    public func claimTaskInHandEntry() -> TaskInHandEntry? {
        let me = UInt64(UInt32(bitPattern: coordinator.pid))
        for index in 0..<SegmentLayout.inHandCapacity {
            let owner = inHandWord(index, 0).pointee.load(ordering: .acquiring)
            let free = owner == 0 || owner == me || !ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: owner))
            guard free, inHandWord(index, 0).pointee.compareExchange(expected: owner, desired: me, ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            inHandWord(index, 1).pointee.store(0, ordering: .releasing)
            return TaskInHandEntry(index: index)
        }
        return nil
    }

    /// Records that this process now runs provider code for the task leased
    /// as `key` due at `dueAt`. Requires: this process owns `entry`.
    public func setTaskInHand(_ entry: TaskInHandEntry, dueAt: UInt64, key: String) {
        inHandWord(entry.index, 2).pointee.store(dueAt, ordering: .relaxed)
        inHandWord(entry.index, 3).pointee.store(KeyedCells.hash(key), ordering: .relaxed)
        inHandWord(entry.index, 1).pointee.store(1, ordering: .releasing)
    }

    /// The provider code returned: no task in hand.
    public func clearTaskInHand(_ entry: TaskInHandEntry) {
        inHandWord(entry.index, 1).pointee.store(0, ordering: .releasing)
    }

    /// Gives the entry up (a clean exit).
    public func releaseTaskInHandEntry(_ entry: TaskInHandEntry) {
        let me = UInt64(UInt32(bitPattern: coordinator.pid))
        inHandWord(entry.index, 1).pointee.store(0, ordering: .releasing)
        _ = inHandWord(entry.index, 0).pointee.compareExchange(expected: me, desired: 0, ordering: .acquiringAndReleasing)
    }

    /// The task the dead process `pid` was in provider code for when it
    /// died, if any; its entry is freed either way.
    /// Requires: `pid` is dead (reaped), so nothing writes its entry.
    public func takeTaskInHand(ofDeadProcess pid: pid_t) -> TaskInHand? {
        let owner = UInt64(UInt32(bitPattern: pid))
        for index in 0..<SegmentLayout.inHandCapacity where inHandWord(index, 0).pointee.load(ordering: .acquiring) == owner {
            let task = inHandWord(index, 1).pointee.load(ordering: .acquiring) == 1
                ? TaskInHand(dueAt: inHandWord(index, 2).pointee.load(ordering: .relaxed), keyHash: inHandWord(index, 3).pointee.load(ordering: .relaxed))
                : nil
            inHandWord(index, 1).pointee.store(0, ordering: .releasing)
            _ = inHandWord(index, 0).pointee.compareExchange(expected: owner, desired: 0, ordering: .acquiringAndReleasing)
            return task
        }
        return nil
    }

    /// Dead processes whose entry still names a task in hand (they died with
    /// no supervisor to reap them): for a worker starting alone to blame.
    public func deadProcessesWithTaskInHand() -> [pid_t] {
        (0..<SegmentLayout.inHandCapacity).compactMap { index in
            let owner = inHandWord(index, 0).pointee.load(ordering: .acquiring)
            guard owner != 0, inHandWord(index, 1).pointee.load(ordering: .acquiring) == 1 else { return nil }
            let pid = pid_t(truncatingIfNeeded: owner)
            return ProcessLiveness.isAlive(pid) ? nil : pid
        }
    }
}
