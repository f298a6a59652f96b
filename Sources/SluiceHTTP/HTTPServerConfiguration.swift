/// Where the server listens and what it tolerates from clients.
///
/// Every timeout exists so that a client cannot hold a connection (and so a
/// slot under `maxConnections`) without making progress.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Loopback by default: only this host can connect.
    public var address: SocketAddress
    public var limits: HTTPLimits
    /// Most connections open at once. Over it, a new connection is answered
    /// `503` with `Retry-After: 1` and closed, unless it may use a priority
    /// connection. Keep it below the process's file descriptor limit, with
    /// room for what the handlers open (see `ConnectionPlan` in the control plane).
    public var maxConnections: Int
    /// Connections let in beyond `maxConnections` to answer requests for
    /// `priorityPaths` only (GET or HEAD, no body), then closed: so health
    /// probes are answered even when the cap is reached. Others on them get 503.
    public var priorityConnections: Int
    public var priorityPaths: Set<String>
    /// At the cap, close the connection idle the longest (waiting for its
    /// next or first request) to let a new one in, instead of refusing the
    /// new one: idle connections alone then cannot lock clients out.
    public var closesIdleAtCap: Bool
    /// Bytes of request bodies held at once across all connections
    /// (`HTTPBodyBudget`); a request that does not fit gets 503 before its
    /// body is read. Never less than `limits.maxBodyBytes`.
    public var maxBufferedBodyBytes: Int
    /// How long a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration
    /// How long a whole request (head and body) may take to arrive, counted
    /// from its first byte; a client trickling bytes cannot extend it. Over it: 408.
    public var readTimeout: Duration
    /// How long an answer may take to be taken by the client.
    public var writeTimeout: Duration
    /// How long `stop()` lets requests in hand finish before closing everything.
    public var shutdownGracePeriod: Duration
    /// The kernel's queue of connections not yet accepted (listen(2)).
    public var backlog: Int32
    /// Stamp each request with the instant its bytes reached this host's
    /// socket (`HTTPRequest.receivedAt`, from the kernel's SO_TIMESTAMPNS),
    /// not the instant this loop read them: what the sandbox judges windows
    /// by, so a busy server cannot make requests look closer than they came.
    public var stampsArrivals = false

    public init(address: SocketAddress = SocketAddress(host: "127.0.0.1", port: 0),
                limits: HTTPLimits = .standard,
                maxConnections: Int = 1024,
                priorityConnections: Int = 0,
                priorityPaths: Set<String> = [],
                closesIdleAtCap: Bool = false,
                maxBufferedBodyBytes: Int = 64 << 20,
                idleTimeout: Duration = .seconds(30),
                readTimeout: Duration = .seconds(10),
                writeTimeout: Duration = .seconds(10),
                shutdownGracePeriod: Duration = .seconds(10),
                backlog: Int32 = 511) {
        self.address = address
        self.limits = limits
        self.maxConnections = maxConnections
        self.priorityConnections = priorityConnections
        self.priorityPaths = priorityPaths
        self.closesIdleAtCap = closesIdleAtCap
        self.maxBufferedBodyBytes = max(maxBufferedBodyBytes, limits.maxBodyBytes)
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.backlog = backlog
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; negative durations are zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
