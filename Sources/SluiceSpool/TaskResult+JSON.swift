import SluiceJSON

extension TaskResult {
    /// The result as the task document shows it and the spool stores it:
    /// `{"status", "headers", "encoding", "body", "bytes", "truncated", "attempt", "at"}`
    /// (`body` absent when the answer was not read; `bytes` absent then too).
    public func jsonObject() -> JSONObject {
        var object = JSONObject()
        object["status"] = .number(String(status))
        object["headers"] = .object(JSONObject(headers.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        object["encoding"] = .string(body.encoding)
        switch body {
        case .json(let value): object["body"] = value
        case .text(let text), .base64(let text): object["body"] = .string(text)
        case .unread: break
        }
        if let bodyBytes { object["bytes"] = .number(String(bodyBytes)) }
        object["truncated"] = .bool(truncated)
        object["attempt"] = .number(String(attempt))
        object["at"] = .string(Timestamp.format(receivedAt))
        return object
    }

    /// Reads a result the spool wrote. A missing or malformed field is an
    /// error naming it (`result.status`, …): the task file is then not valid
    /// and is quarantined like any other, never half-read.
    public init(parsing value: JSONValue) throws(TaskValidationError) {
        guard case .object(let object) = value else {
            throw TaskValidationError(field: "result", problem: "must be an object, not \(value.typeDescription)")
        }
        guard let status = try Self.integer(object, "status"), status <= 999 else {
            throw TaskValidationError(field: "result.status", problem: "is missing or not an HTTP status")
        }
        let body = try Self.body(object)
        guard let attempt = try Self.integer(object, "attempt"), attempt >= 1 else {
            throw TaskValidationError(field: "result.attempt", problem: "is missing or below 1")
        }
        guard case .bool(let truncated)? = object["truncated"] else {
            throw TaskValidationError(field: "result.truncated", problem: "is missing or not a boolean")
        }
        guard case .string(let at)? = object["at"], let receivedAt = Timestamp.parse(at) else {
            throw TaskValidationError(field: "result.at", problem: "is missing or not an RFC 3339 time")
        }
        self.init(status: Int(status), headers: try Self.headers(object), body: body,
                  bodyBytes: try Self.integer(object, "bytes").map { Int($0) }, truncated: truncated,
                  attempt: Int(attempt), receivedAt: receivedAt)
    }

    private static func integer(_ object: JSONObject, _ field: String) throws(TaskValidationError) -> UInt64? {
        do { return try TaskFieldRules.integer(object, field) } catch {
            throw TaskValidationError(field: "result.\(field)", problem: error.problem)
        }
    }

    private static func headers(_ object: JSONObject) throws(TaskValidationError) -> [String: String] {
        guard case .object(let members)? = object["headers"] else {
            throw TaskValidationError(field: "result.headers", problem: "is missing or not an object")
        }
        var headers: [String: String] = [:]
        for member in members.members {
            guard case .string(let value) = member.value else {
                throw TaskValidationError(field: "result.headers", problem: "must map names to strings")
            }
            headers[member.key] = value
        }
        return headers
    }

    private static func body(_ object: JSONObject) throws(TaskValidationError) -> Body {
        guard case .string(let encoding)? = object["encoding"] else {
            throw TaskValidationError(field: "result.encoding", problem: "is missing or not a string")
        }
        switch (encoding, object["body"]) {
        case ("json", let value?): return .json(value)
        case ("text", .string(let text)?): return .text(text)
        case ("base64", .string(let text)?): return .base64(text)
        case ("none", nil): return .unread
        default:
            throw TaskValidationError(field: "result.body", problem: "does not match its encoding \"\(encoding)\"")
        }
    }
}
