import SluiceLimiter
import SluiceSpool
import Synchronization

/// Runs provider code (building a task's request, estimating its cost,
/// classifying its answer) for one task at a time in this process, with the
/// task recorded as the process's task in hand in the segment.
///
/// Why: a worker has many tasks in flight. If provider code kills the
/// process (a trap on a number a task supplied), the supervisor reads the
/// task in hand and blames that one task, and no other; without a record it
/// could only blame all of them (dead-lettering innocent tasks) or none (the
/// task crashes every worker that claims it, for ever).
///
/// Invariant: while `run` executes its body, the segment names exactly that
/// task for this process; before and after, none. Provider code is pure
/// and short (microseconds), so running it one at a time costs nothing.
final class ProviderGuard: Sendable {
    private let limiter: QueueHandle
    private let entry: TaskInHandEntry?
    private let faults: WorkerFaults
    private let oneAtATime = Mutex(())

    init(limiter: QueueHandle, faults: WorkerFaults) {
        self.limiter = limiter
        self.faults = faults
        entry = limiter.claimTaskInHandEntry()
    }

    /// Whether this process has an entry (false: 256 live workers on the queue).
    var isRecording: Bool { entry != nil }

    /// Runs `body` for `lease`'s task, as the process's task in hand.
    func run<T, E: Error>(for lease: Lease, _ body: () throws(E) -> T) throws(E) -> T {
        try oneAtATime.withLock { _ throws(E) -> T in
            if let entry { limiter.setTaskInHand(entry, dueAt: lease.dueAt, key: lease.key) }
            defer { if let entry { limiter.clearTaskInHand(entry) } }
            if let trap = faults.trapOnTaskID, trap == lease.task.id.rawValue {
                fatalError("WorkerFaults: trapping on task \(trap), as asked by SLUICE_TEST_TRAP_TASK")
            }
            return try body()
        }
    }

    /// Gives the entry up (the worker is stopping cleanly).
    func release() {
        if let entry { limiter.releaseTaskInHandEntry(entry) }
    }
}
