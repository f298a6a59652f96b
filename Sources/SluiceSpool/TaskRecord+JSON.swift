import SluiceCore
import SluiceJSON
extension TaskRecord {
    /// The task as one line of JSON (no trailing newline).
    public func jsonBytes() -> [UInt8] {
        JSONWriter.bytes(.object(jsonObject()))
    }

    public func jsonObject() -> JSONObject {
        var object = JSONObject()
        object["id"] = .string(id.rawValue)
        object["queue"] = .string(queue.rawValue)
        object["kind"] = .string(kind)
        if let key { object["key"] = .string(key) }
        if let cost { object["cost"] = .number(String(cost)) }
        if let notBefore { object["notBefore"] = .string(Timestamp.format(notBefore)) }
        if let maxAttempts { object["maxAttempts"] = .number(String(maxAttempts)) }
        object["attempt"] = .number(String(attempt))
        object["enqueuedAt"] = .string(Timestamp.format(enqueuedAt))
        object["dueAt"] = .string(Timestamp.format(dueAt))
        if let lastError { object["lastError"] = .string(lastError) }
        object["history"] = .array(history.map { .string($0) })
        if let result { object["result"] = .object(result.jsonObject()) }
        object["payload"] = .object(payload)
        return object
    }

    /// Reads a task the spool wrote. Unknown fields are ignored (a newer
    /// Sluice may add some); a missing or malformed known field is an error
    /// that names it, and the caller quarantines the file.
    public init(parsing bytes: some Collection<UInt8>) throws(TaskValidationError) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch {
            throw TaskValidationError(field: "task", problem: "is \(error)")
        }
        guard case .object(let object) = document else {
            throw TaskValidationError(field: "task", problem: "is \(document.typeDescription), not an object")
        }
        guard let idText = try TaskFieldRules.string(object, "id"), let id = try? TaskID(validating: idText) else {
            throw TaskValidationError(field: "id", problem: "is missing or not a valid task id")
        }
        guard let queueText = try TaskFieldRules.string(object, "queue"), let queue = try? QueueName(validating: queueText) else {
            throw TaskValidationError(field: "queue", problem: "is missing or not a queue name")
        }
        guard let kind = try TaskFieldRules.string(object, "kind") else {
            throw TaskValidationError(field: "kind", problem: "is missing")
        }
        guard case .object(let payload)? = object["payload"] else {
            throw TaskValidationError(field: "payload", problem: "is missing or not an object")
        }
        guard let attempt = try TaskFieldRules.integer(object, "attempt"), attempt >= 1 else {
            throw TaskValidationError(field: "attempt", problem: "is missing or below 1")
        }
        guard let enqueuedAt = try TaskFieldRules.timestamp(object, "enqueuedAt"),
              let dueAt = try TaskFieldRules.timestamp(object, "dueAt") else {
            throw TaskValidationError(field: "enqueuedAt", problem: "or dueAt is missing")
        }
        self.init(id: id, queue: queue, kind: kind, payload: payload, attempt: Int(attempt), enqueuedAt: enqueuedAt, dueAt: dueAt)
        key = try TaskFieldRules.string(object, "key")
        cost = try TaskFieldRules.integer(object, "cost")
        notBefore = try TaskFieldRules.timestamp(object, "notBefore")
        maxAttempts = try TaskFieldRules.integer(object, "maxAttempts").map { Int($0) }
        lastError = try TaskFieldRules.string(object, "lastError")
        history = try Self.historyLines(object)
        result = try object["result"].map { (value: JSONValue) throws(TaskValidationError) -> TaskResult in try TaskResult(parsing: value) }
    }

    private static func historyLines(_ object: JSONObject) throws(TaskValidationError) -> [String] {
        guard let value = object["history"] else { return [] }
        guard case .array(let lines) = value else {
            throw TaskValidationError(field: "history", problem: "must be an array of strings")
        }
        var history: [String] = []
        for line in lines {
            guard case .string(let text) = line else {
                throw TaskValidationError(field: "history", problem: "must be an array of strings")
            }
            history.append(text)
        }
        return history
    }
}
