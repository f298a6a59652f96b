import SluiceCore
import SluiceJSON
/// A task as a client submits it, validated: what `enqueue` accepts.
///
/// The client's JSON fields are `id` (optional; generated when absent),
/// `queue` (optional where the command or route names the queue), `kind`,
/// `payload` (an object), and the optional `key` (for per-key limits), `cost`
/// (for weighted limits), `notBefore` (RFC 3339) and `maxAttempts`.
/// Invariant: every value held here passed its field's rule.
public struct TaskRequest: Sendable, Equatable {
    public var id: TaskID?
    public var queue: QueueName
    public var kind: String
    public var payload: JSONObject
    public var key: String?
    public var cost: UInt64?
    /// Wall-clock nanoseconds before which the task must not start.
    public var notBefore: UInt64?
    public var maxAttempts: Int?

    /// The largest task document accepted, in bytes (1 MiB).
    public static let maximumSize = 1 << 20
    /// The fields a client may send.
    public static let clientFields = ["id", "queue", "kind", "payload", "key", "cost", "notBefore", "maxAttempts"]
    /// The fields only the spool writes.
    public static let spoolFields = ["attempt", "enqueuedAt", "dueAt", "lastError", "history"]

    /// Builds a request from values, checking each field's rule.
    public init(
        id: TaskID? = nil, queue: QueueName, kind: String, payload: JSONObject = JSONObject(),
        key: String? = nil, cost: UInt64? = nil, notBefore: UInt64? = nil, maxAttempts: Int? = nil
    ) throws(TaskValidationError) {
        try TaskFieldRules.checkKind(kind)
        if let key { try TaskFieldRules.checkKey(key) }
        if let cost { try TaskFieldRules.checkCost(cost, text: String(cost)) }
        if let maxAttempts { try TaskFieldRules.checkMaxAttempts(maxAttempts, text: String(maxAttempts)) }
        self.id = id
        self.queue = queue
        self.kind = kind
        self.payload = payload
        self.key = key
        self.cost = cost
        self.notBefore = notBefore
        self.maxAttempts = maxAttempts
    }

    /// Parses and validates one task document (a JSON object).
    ///
    /// `queue` is the queue the command or route names; a `queue` field in
    /// the document must agree with it. The first problem found is thrown,
    /// naming its field.
    public init(parsing bytes: some Collection<UInt8>, queue: QueueName) throws(TaskValidationError) {
        guard bytes.count <= Self.maximumSize else {
            throw TaskValidationError(field: "task", problem: "is \(bytes.count) bytes; the most is \(Self.maximumSize) "
                                      + "(1 MiB): keep large data elsewhere and pass a reference in the payload")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw TaskValidationError(field: "task", problem: "is \(error)")
        }
        guard case .object(let object) = document else {
            throw TaskValidationError(field: "task", problem: "must be a JSON object like {\"kind\": …, \"payload\": {…}}, "
                                      + "not \(document.typeDescription)")
        }
        try self.init(object: object, queue: queue)
    }

    private init(object: JSONObject, queue: QueueName) throws(TaskValidationError) {
        try TaskFieldRules.refuseUnknownFields(object)
        var id: TaskID?
        if let text = try TaskFieldRules.string(object, "id") {
            do { id = try TaskID(validating: text) } catch {
                throw TaskValidationError(field: "id", value: text, problem: "is not a valid task id: \(error.reason)")
            }
        }
        if let named = try TaskFieldRules.string(object, "queue"), named != queue.rawValue {
            throw TaskValidationError(field: "queue", value: named,
                                      problem: "does not match the queue \"\(queue)\" this task is sent to; "
                                      + "leave the field out or make them agree")
        }
        guard let kind = try TaskFieldRules.string(object, "kind") else {
            throw TaskValidationError(field: "kind", problem: "is missing; say what the task does, e.g. \"send_email\"")
        }
        guard let payloadValue = object["payload"] else {
            throw TaskValidationError(field: "payload", problem: "is missing; send the request's data as an object, e.g. {}")
        }
        guard case .object(let payload) = payloadValue else {
            throw TaskValidationError(field: "payload", problem: "must be a JSON object, not \(payloadValue.typeDescription)")
        }
        try self.init(
            id: id, queue: queue, kind: kind, payload: payload,
            key: try TaskFieldRules.string(object, "key"),
            cost: try TaskFieldRules.integer(object, "cost").map { UInt64($0) },
            notBefore: try TaskFieldRules.timestamp(object, "notBefore"),
            maxAttempts: try TaskFieldRules.integer(object, "maxAttempts").map { Int($0) }
        )
    }
}
