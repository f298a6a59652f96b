import SluiceCore
/// What the spool knows of one task: where it is and what it holds.
public struct TaskStatus: Sendable, Equatable {
    public let id: TaskID
    public let queue: QueueName
    public let state: TaskState
    /// The task as stored (its `dueAt` taken from the file name). Nil when
    /// it finished and no record is kept, or when its file could not be read.
    public let record: TaskRecord?
    /// Why `record` is missing, when it is.
    public let problem: String?

    public init(id: TaskID, queue: QueueName, state: TaskState, record: TaskRecord?, problem: String? = nil) {
        self.id = id
        self.queue = queue
        self.state = state
        self.record = record
        self.problem = problem
    }
}

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
