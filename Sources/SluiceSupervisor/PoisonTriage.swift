import Glibc
import SluiceLimiter
import SluicePOSIX
import SluiceSpool

/// Blames the task a dead worker was running provider code for (its task in
/// hand, see `TaskInHand`), so one task cannot stop its queue for good: the
/// crash is counted on that task, and at the `crashLimit`th it is
/// dead-lettered with "crashed its worker (signal N)". The worker's other
/// tasks in flight are not blamed: they go back to ready as for any death.
///
/// Run by the supervisor when it reaps a worker, and by a worker starting
/// without one (it then cannot know the signal). Must run before the dead
/// worker's leases are recovered.
public struct PoisonTriage {
    /// Crashes a task may cause before it is dead-lettered.
    public static let crashLimit = 2

    let spool: SpoolQueue
    let limiter: QueueHandle
    let log: EventLog

    public init(spool: SpoolQueue, limiter: QueueHandle, log: EventLog) {
        self.spool = spool
        self.limiter = limiter
        self.log = log
    }

    /// Blames the task dead worker `pid` had in hand, if any; `signal` is
    /// what killed it (nil: not known). Returns true when a task was blamed,
    /// so the death is the task's and does not count as the worker's crash.
    /// A SIGKILL comes from outside (the OOM killer, an operator): never the task's.
    @discardableResult
    public func blame(deadWorker pid: pid_t, signal: Int32?) -> Bool {
        guard let inHand = limiter.takeTaskInHand(ofDeadProcess: pid), signal != SIGKILL else { return false }
        let held: [(dueAt: UInt64, key: String)]
        do { held = try spool.leases(heldBy: pid) } catch {
            log.error("task.crash_not_recorded", ("pid", "\(pid)"), ("error", "\(error)"))
            return false
        }
        guard let lease = held.first(where: { inHand.matches(dueAt: $0.dueAt, key: $0.key) }) else { return false }
        let reason = signal.map { "\(SpoolQueue.crashReasonPrefix) (signal \($0))" }
            ?? "\(SpoolQueue.crashReasonPrefix) (it died while handling this task; no supervisor saw how)"
        do {
            switch try spool.recordCrash(pid: pid, dueAt: lease.dueAt, key: lease.key, reason: reason, limit: Self.crashLimit) {
            case .postponed(let crashes):
                log.warn("task.crashed_worker", ("task", lease.key), ("pid", "\(pid)"), ("reason", reason), ("crashes", "\(crashes)"),
                         ("action", "due again; dead at \(Self.crashLimit) crashes"))
            case .deadLettered(let crashes):
                log.error("task.dead", ("task", lease.key), ("pid", "\(pid)"), ("reason", reason), ("crashes", "\(crashes)"))
            case .notFound:
                return false
            }
            return true
        } catch {
            log.error("task.crash_not_recorded", ("task", lease.key), ("pid", "\(pid)"), ("error", "\(error)"))
            return false
        }
    }
}
