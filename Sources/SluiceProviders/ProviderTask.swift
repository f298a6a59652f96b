import SluiceJSON

/// What a provider needs of a task: its identity and what to send.
/// (The spool's task record carries more; the worker hands over this much.)
public struct ProviderTask: Sendable, Equatable {
    public let id: String
    public let kind: String
    public let payload: JSONObject

    public init(id: String, kind: String, payload: JSONObject) {
        self.id = id
        self.kind = kind
        self.payload = payload
    }
}

/// An HTTP request ready to send, as plain values: tests compare it, the
/// executor turns it into a `URLRequest`.
public struct OutgoingRequest: Sendable, Equatable {
    public var method: String
    /// Always the queue's base URL followed by a checked path.
    public var url: String
    /// Header names as sent; credentials included (never logged: see `redacted`).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public static func == (lhs: OutgoingRequest, rhs: OutgoingRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The request for a log line: method and URL only.
    public var redacted: String { "\(method) \(url)" }
}

/// A task that can never be sent as it is (bad payload, a path that would
/// leave the queue's host, an unknown kind): dead at once, never retried.
public struct TaskRejected: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
