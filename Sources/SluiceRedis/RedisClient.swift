import Synchronization

/// A small pool of `RedisConnection`s that any number of threads may share.
///
/// Each call takes a free connection (or, when all are busy, waits for one),
/// runs on it, and gives it back: a connection serves one call at a time, so
/// replies never cross between callers. The wait for a busy connection is
/// not part of a call's budget; size the pool to the threads that call at
/// once. Each connection connects, backs off and fails on its own, as
/// `RedisConnection` describes. The calls block: call them from a thread of
/// your own, not from a task on Swift's cooperative pool.
///
/// ```swift
/// let redis = RedisClient(endpoint: try RedisEndpoint(parsing: "redis://127.0.0.1:6379/0"),
///                         password: RedisPassword(secret.reveal()), connections: 2)
/// let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
/// do {
///     let total = try redis.evaluate(script, keys: ["sluice:demo"], arguments: [5]).integer
///     let now = try redis.time()                      // Redis's clock
///     let replies = redis.pipeline([RedisCommand("GET", "a"), RedisCommand("GET", "b")])
/// } catch .notSent(let why) {
///     // Redis cannot have run it: safe to retry (or wait; `why` says for what).
/// } catch .outcomeUnknown(let why) {
///     // It may have run: only the caller can judge a retry.
/// } catch {
///     // .server(let refusal): Redis's error reply; .unexpectedReply: not Redis's shape.
/// }
/// ```
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    public let options: RedisOptions
    private let slots: [Slot]
    private let turn = Atomic<Int>(0)

    private final class Slot: Sendable {
        let connection: Mutex<RedisConnection>
        init(_ connection: sending RedisConnection) { self.connection = Mutex(connection) }
    }

    /// A pool of `connections` (at least 1), none connected until used.
    public init(endpoint: RedisEndpoint, password: RedisPassword? = nil, options: RedisOptions = RedisOptions(), connections: Int = 1) {
        self.endpoint = endpoint
        self.options = options
        slots = (0..<max(1, connections)).map { _ in
            Slot(RedisConnection(endpoint: endpoint, password: password, options: options))
        }
    }

    /// Runs `body` with a connection of its own (several calls on it in a row,
    /// for instance), then gives the connection back.
    public func withConnection<Value: Sendable, Failure: Error>(
        _ body: (RedisConnection) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        // Start at a different slot each time so the connections share the work.
        let first = turn.add(1, ordering: .relaxed).oldValue
        for offset in 0..<slots.count {
            let slot = slots[((first &+ offset) & Int.max) % slots.count]
            if let value = try slot.connection.withLockIfAvailable({ connection throws(Failure) -> Value in try body(connection) }) {
                return value
            }
        }
        return try slots[(first & Int.max) % slots.count].connection.withLock { connection throws(Failure) -> Value in try body(connection) }
    }

    /// `RedisConnection.send` on a free connection.
    public func send(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        try withConnection { connection throws(RedisError) in try connection.send(command, timeout: timeout) }
    }

    /// `RedisConnection.send` on a free connection: `send("GET", key)`.
    public func send(_ name: String, _ arguments: any RedisArgument..., timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        try send(RedisCommand(name, arguments: arguments), timeout: timeout)
    }

    /// `RedisConnection.pipeline` on a free connection.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) -> [Result<RESPValue, RedisError>] {
        withConnection { connection in connection.pipeline(commands, timeout: timeout) }
    }

    /// `RedisConnection.evaluate` on a free connection.
    public func evaluate(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = [],
                         timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        try withConnection { connection throws(RedisError) in
            try connection.evaluate(script, keys: keys, arguments: arguments, timeout: timeout)
        }
    }

    /// Redis's clock now (`TIME`).
    public func time(timeout: Duration? = nil) throws(RedisError) -> RedisTime {
        try withConnection { connection throws(RedisError) in try connection.time(timeout: timeout) }
    }

    /// Closes every connection (waiting for calls in progress). Later calls connect again.
    public func close() {
        for slot in slots { slot.connection.withLock { $0.close() } }
    }
}
