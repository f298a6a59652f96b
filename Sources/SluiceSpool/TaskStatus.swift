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
