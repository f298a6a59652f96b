/// How many tasks a queue holds in each state, for operators and metrics.
public struct QueueCounts: Sendable, Equatable {
    /// Ready and due now: the backlog workers can take.
    public var readyDue = 0
    /// Ready but due later: waiting for a retry (or for a `notBefore`).
    public var readyWaiting = 0
    /// Claimed by a process.
    public var leased = 0
    /// Of `leased`, those whose process is gone: recovery returns them to ready.
    public var leasedByGoneProcesses = 0
    public var dead = 0
    /// Kept in `done/` for the retention period.
    public var done = 0
    /// Accepted in batches not yet expanded into `ready/` (claimers expand them at once).
    public var journaled = 0
    public var quarantined = 0
    /// How long the earliest-due ready task has been due (ns); 0 if none is due.
    public var oldestDueAge: UInt64 = 0

    public init() {}
}
