import SluiceCore
/// The task store a worker and the operator commands use, whatever keeps
/// the tasks: the on-disk spool today (`SpoolQueue`), a Redis-backed one later.
///
/// One value serves one queue. Delivery is at least once: a task whose
/// worker dies is delivered again, so work must be idempotent (Stripe calls
/// carry the task id as Idempotency-Key).
public protocol TaskStore: Sendable {
    var name: QueueName { get }
    /// Whether a settle keeps the answer it is given (results are retained):
    /// when not, a worker need not make one.
    var keepsResults: Bool { get }

    /// Durably accepts tasks; an id already present is not written again.
    func enqueue(_ requests: [TaskRequest], expandingNow: Bool) throws(SpoolError) -> [EnqueueOutcome]

    /// Claims the earliest-due task that is due now, or nil if none is.
    /// Exactly one caller, across all processes, gets each task.
    func claim() throws(SpoolError) -> Lease?
    /// The earliest due time of a ready task, for sleeping until then.
    func nextDueAt() throws(SpoolError) -> UInt64?
    /// Blocks up to `milliseconds` or until new tasks may have arrived;
    /// true if something changed. Lets an idle worker sleep without polling.
    func waitForArrivals(milliseconds: Int32) -> Bool

    /// Settles a lease: complete, retry later (attempt spent), postpone (attempt not spent),
    /// dead-letter, or release (attempt not spent); a completion or a
    /// dead-letter keeps `result`, the provider's answer, with the task.
    /// Requires: the caller holds `lease`.
    func settle(_ lease: Lease, _ settlement: Settlement, result: TaskResult?) throws(SpoolError)

    /// Returns leases of processes that are gone to ready (attempt not spent),
    /// removes their half-written files, expands pending batches.
    func recover(includingOwnLeases: Bool) throws(SpoolError) -> RecoveryReport

    func counts() throws(SpoolError) -> QueueCounts
    func status(of id: TaskID) throws(SpoolError) -> TaskStatus?
    /// Makes one ready task due now.
    func reset(_ id: TaskID) throws(SpoolError) -> ResetOutcome
    /// Makes every waiting task that was pushed back (a retry, a 429's hold,
    /// its key's limit; not a client's own `notBefore`) due now; returns the ids.
    func resetWaitingRetries() throws(SpoolError) -> [TaskID]
    /// Dead tasks, oldest first.
    func deadTasks() throws(SpoolError) -> [TaskStatus]
    /// Moves dead tasks (all, or the one with `id`) back to ready, due now, attempts reset.
    func replayDead(_ id: TaskID?) throws(SpoolError) -> [TaskID]
}

extension TaskStore {
    /// Settles a lease keeping no answer.
    public func settle(_ lease: Lease, _ settlement: Settlement) throws(SpoolError) { try settle(lease, settlement, result: nil) }
    public func complete(_ lease: Lease) throws(SpoolError) { try settle(lease, .complete) }
    public func retry(_ lease: Lease, at dueAt: UInt64, error: String) throws(SpoolError) {
        try settle(lease, .retry(dueAt: dueAt, error: error))
    }
    public func deadLetter(_ lease: Lease, reason: String) throws(SpoolError) { try settle(lease, .deadLetter(reason: reason)) }
    public func release(_ lease: Lease) throws(SpoolError) { try settle(lease, .release) }
}
