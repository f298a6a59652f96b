import Glibc
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Synchronization
import Testing

/// Every test against a real redis-server, one at a time: they time calls
/// against budgets, and stop, kill and restart servers.
@Suite(.serialized) enum LiveRedis {}

/// Helpers the live tests share.
enum Live {
    /// A connection to `server` (its URL plus `suffix`, e.g. "/3" or "?db=2").
    static func connection(_ server: RedisServer, suffix: String = "", password: String? = nil,
                           options: RedisOptions = RedisOptions(timeout: .seconds(2))) throws -> RedisConnection {
        RedisConnection(endpoint: try RedisEndpoint(parsing: server.url + suffix), password: password.map(RedisPassword.init), options: options)
    }

    static func client(_ server: RedisServer, connections: Int = 1, options: RedisOptions = RedisOptions(timeout: .seconds(2))) throws -> RedisClient {
        RedisClient(endpoint: try RedisEndpoint(parsing: server.url), password: server.password.map(RedisPassword.init),
                    options: options, connections: connections)
    }

    static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// Milliseconds `body` took, and what it returned.
    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = MonotonicClock.now()
        let value = try body()
        return (value, Double(MonotonicClock.now() - start) / 1e6)
    }

    /// The error `body` threw, or nil if it returned.
    static func error<T>(_ body: () throws -> T) -> RedisError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? RedisError
        }
    }
}

/// A value computed on a thread of its own.
final class Background<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)

    private init() {}

    static func run(_ body: @escaping @Sendable () -> Value) -> Background {
        let background = Background()
        PosixThread.start {
            let value = body()
            background.result.withLock { $0 = value }
        }.detach()
        return background
    }

    /// The value, waiting up to `seconds` for it (nil if it is not there by then).
    func join(seconds: Double = 30) -> Value? {
        var value: Value?
        _ = ChildProcessRunner.waitUntil(seconds: seconds) {
            value = result.withLock { $0 }
            return value != nil
        }
        return value
    }
}
