/// The result of enqueueing one task.
public enum EnqueueOutcome: Sendable, Equatable {
    /// Durably accepted as a new task.
    case accepted(TaskID)
    /// The id was already taken: the existing task is kept and nothing was
    /// written. Its status, as found; nil if it finished and is forgotten.
    case existing(TaskID, TaskStatus?)

    public var id: TaskID {
        switch self {
        case .accepted(let id), .existing(let id, _): id
        }
    }
}
