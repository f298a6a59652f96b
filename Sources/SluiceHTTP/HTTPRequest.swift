/// One parsed HTTP/1.x request, body included.
///
/// Invariants (the parser guarantees them): `method` is a non-empty token;
/// `path` starts with `/` and holds no `?`; `body.count` equals the
/// Content-Length the client sent (0 without one).
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The request target as sent, e.g. `/v1/queues?limit=5`.
    public var target: String
    /// The target up to (not including) `?`, still percent-encoded.
    public var path: String
    /// The text after `?`, still encoded, or nil when there is no `?`.
    public var query: String?
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When the request's first bytes reached the socket (CLOCK_MONOTONIC
    /// ns), if the server stamps arrivals (`stampsArrivals`); not compared by `==`.
    public var receivedAt: UInt64?

    public init(method: String, target: String, minorVersion: Int = 1, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0])
        query = parts.count > 1 ? String(parts[1]) : nil
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// Whether the client wants the connection kept open after the answer:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        if headers.hasToken("close", in: "Connection") { return false }
        return minorVersion >= 1 || headers.hasToken("keep-alive", in: "Connection")
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The decoded query parameters, in order (`application/x-www-form-urlencoded` rules).
    public var queryItems: [(name: String, value: String)] { FormURLEncoded.decode(query ?? "") }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.headers == rhs.headers && lhs.body == rhs.body
    }
}
