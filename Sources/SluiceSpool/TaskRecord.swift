import SluiceCore
import SluiceJSON
/// A task as the spool keeps it: the client's fields plus the spool's own.
///
/// The spool adds `attempt` (the number of the attempt the next claim makes,
/// from 1), `enqueuedAt`, `dueAt`, `lastError` and `history` (one short line
/// per settled attempt: time, outcome, status), and once finished the
/// provider's answer, `result` (see `TaskResult`). The task's file name is the
/// authority for its state and due time; `dueAt` here is refreshed from the
/// name whenever a file is read (a reset renames without rewriting).
public struct TaskRecord: Sendable, Equatable {
    public var id: TaskID
    public var queue: QueueName
    public var kind: String
    public var payload: JSONObject
    public var key: String?
    public var cost: UInt64?
    public var notBefore: UInt64?
    public var maxAttempts: Int?
    public var attempt: Int
    public var enqueuedAt: UInt64
    public var dueAt: UInt64
    public var lastError: String?
    public var history: [String]
    /// The answer of the attempt that finished the task (done, or the last
    /// one when it went dead); nil while it runs or when results are not kept.
    public var result: TaskResult?

    /// The most history lines kept; older ones are dropped first.
    public static let maximumHistory = 50
    /// The longest error or reason kept, in characters.
    public static let maximumErrorLength = 300

    /// A new task from a request, accepted at `now`: attempt 1, due at
    /// `notBefore` or at once.
    public init(request: TaskRequest, id: TaskID, now: UInt64) {
        self.id = id
        queue = request.queue
        kind = request.kind
        payload = request.payload
        key = request.key
        cost = request.cost
        notBefore = request.notBefore
        maxAttempts = request.maxAttempts
        attempt = 1
        enqueuedAt = now
        dueAt = max(now, request.notBefore ?? now)
        lastError = nil
        history = []
    }

    init(id: TaskID, queue: QueueName, kind: String, payload: JSONObject, attempt: Int, enqueuedAt: UInt64, dueAt: UInt64) {
        self.id = id
        self.queue = queue
        self.kind = kind
        self.payload = payload
        self.attempt = attempt
        self.enqueuedAt = enqueuedAt
        self.dueAt = dueAt
        history = []
    }

    /// Appends one line to the history, keeping at most `maximumHistory`.
    mutating func appendHistory(at instant: UInt64, _ text: String) {
        history.append("\(Timestamp.format(instant)) \(Self.oneLine(text))")
        if history.count > Self.maximumHistory { history.removeFirst(history.count - Self.maximumHistory) }
    }

    /// `text` on one line, shortened to `maximumErrorLength`.
    static func oneLine(_ text: String) -> String {
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return flat.count > maximumErrorLength ? String(flat.prefix(maximumErrorLength)) + "…" : flat
    }
}
