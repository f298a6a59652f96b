import SluiceCore
import SluiceJSON
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

extension TaskStatus {
    /// The stored task as JSON, with "state" (and "leasedBy", "problem") added.
    public func jsonObject() -> JSONObject {
        var object = record?.jsonObject() ?? JSONObject()
        object["id"] = .string(id.rawValue)
        object["queue"] = .string(queue.rawValue)
        object["state"] = .string(state.word)
        if case .leased(let pid, _) = state { object["leasedBy"] = .number(String(pid)) }
        if let problem { object["problem"] = .string(problem) }
        return object
    }
}

extension TaskState {
    /// The state's one-word name.
    public var word: String {
        switch self {
        case .journaled: "journaled"
        case .ready: "ready"
        case .leased: "leased"
        case .dead: "dead"
        case .done: "done"
        }
    }
}
