import SluiceConfig
import SluiceJSON

/// Any HTTP API: `http` tasks name a method, a path, headers and a body; the
/// request goes to the queue's base URL. The task cannot set the host, the
/// credentials or the framing headers.
public struct HTTPProvider: Provider {
    let baseURL: String
    /// Where the upstream states its budget, if not in a family Sluice knows.
    var budgetHeaders: BudgetHeaders?

    public init(baseURL: String, budgetHeaders: BudgetHeaders? = nil) {
        self.baseURL = baseURL
        self.budgetHeaders = budgetHeaders
    }

    public func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        StatusRules.classify(response, retryBound: retryBound, wallClockNow: wallClockNow, budgetHeaders: budgetHeaders)
    }

    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    /// Headers only Sluice sets: routing, framing and credentials.
    static let reservedHeaders: Set<String> = [
        "host", "authorization", "proxy-authorization", "content-length", "transfer-encoding", "connection",
        "upgrade", "te", "trailer", "expect", "keep-alive", "cookie",
    ]

    public func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest {
        try task.require(kind: ["http"])
        guard case .string(let path)? = task.payload["path"] else { throw TaskRejected("payload.path: is required, a string like \"/v1/things\"") }
        let method = try Self.method(task.payload["method"])
        var headers = bearer(credential)
        var body: [UInt8] = []
        switch task.payload["body"] {
        case nil, .null?: break
        case .string(let text)?: body = Array(text.utf8)
        case let structured?:
            body = JSONWriter.bytes(structured)
            headers.append(("Content-Type", "application/json"))
        }
        headers += try Self.taskHeaders(task.payload["headers"])
        return OutgoingRequest(method: method, url: try RequestPath.join(base: baseURL, path: path), headers: headers, body: body)
    }

    /// A structured body is sent as JSON with Sluice's own `Content-Type`: a
    /// task's second one would reach the API as two conflicting headers.
    public func checkFields(of task: ProviderTask) throws(TaskRejected) {
        // The fields go in the request's head, which servers bound (nginx and Cloudflare
        // 32 KiB in all, the sandbox 32 KiB, Node.js 16 KiB): a 431. Refused past 30 KiB,
        // room left for Sluice's own fields (Host, the credential, the framing).
        if case .object(let headers)? = task.payload["headers"] {
            let bytes = headers.members.reduce(0) { total, member in
                if case .string(let value) = member.value { total + member.key.utf8.count + value.utf8.count + 4 } else { total }
            }
            if bytes > Self.maximumHeaderBytes {
                throw TaskRejected("payload.headers: \(bytes) bytes in all, over \(Self.maximumHeaderBytes); servers commonly refuse a head over 32 KiB "
                                   + "(431; Node.js over 16 KiB): send less in headers, or put it in the body")
            }
        }
        guard let body = task.payload["body"], body != .null, !body.isString,
              case .object(let headers)? = task.payload["headers"],
              let name = headers.keys.first(where: { $0.lowercased() == "content-type" }) else { return }
        throw TaskRejected("payload.headers.\(name): Sluice sends application/json for a JSON body; "
                           + "to choose the type, send the body as a string")
    }

    private static func method(_ value: JSONValue?) throws(TaskRejected) -> String {
        guard let value else { return "POST" }
        guard case .string(let method) = value, methods.contains(method) else {
            throw TaskRejected("payload.method: must be one of \(methods.sorted().joined(separator: ", "))")
        }
        return method
    }

    /// The most header fields a task may set, and the longest value, in bytes.
    static let maximumHeaderCount = 64
    static let maximumHeaderValueBytes = 8192
    /// The most a task's header fields may hold together (`name: value\r\n` each), checked at the door.
    static let maximumHeaderBytes = 30 << 10

    private static func taskHeaders(_ value: JSONValue?) throws(TaskRejected) -> [(name: String, value: String)] {
        guard let value else { return [] }
        guard case .object(let object) = value else { throw TaskRejected("payload.headers: must be an object of strings") }
        guard object.members.count <= maximumHeaderCount else {
            throw TaskRejected("payload.headers: \(object.members.count) fields; a task may set at most \(maximumHeaderCount)")
        }
        return try object.members.map { member throws(TaskRejected) -> (name: String, value: String) in
            let name = member.key
            // The name first: it is shown in every other message, and must be short and printable.
            guard HeaderBytes.isFieldName(name) else {
                throw TaskRejected("payload.headers: \"\(HeaderBytes.shown(name))\" is not a header name (letters, digits and \"-\")")
            }
            guard case .string(let text) = member.value else { throw TaskRejected("payload.headers.\(name): must be a string") }
            guard !reservedHeaders.contains(name.lowercased()) else {
                throw TaskRejected("payload.headers.\(name): is set by Sluice, not by tasks")
            }
            guard text.utf8.count <= maximumHeaderValueBytes else {
                throw TaskRejected("payload.headers.\(name): is \(text.utf8.count) bytes; the most is \(maximumHeaderValueBytes)")
            }
            guard !HeaderBytes.hasControl(text) else {
                throw TaskRejected("payload.headers.\(name): may not contain control characters (line breaks, NUL, DEL, C1); only tab is allowed")
            }
            return (name, text)
        }
    }
}

extension JSONValue {
    fileprivate var isString: Bool { if case .string = self { true } else { false } }
}
