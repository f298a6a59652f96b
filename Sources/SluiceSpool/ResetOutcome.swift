/// The result of resetting one task.
public enum ResetOutcome: Sendable, Equatable {
    /// It was waiting until `previousDueAt` and is due now.
    case madeDue(previousDueAt: UInt64)
    /// It was ready and already due: nothing changed.
    case alreadyDue
    /// It is not waiting in `ready/` (leased, dead, done, or journaled).
    case notReady(TaskState)
    case notFound
}
