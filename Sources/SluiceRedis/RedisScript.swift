/// A Lua script and its SHA-1, the name Redis caches it under.
///
/// Run it with `RedisConnection.evaluate` (or `RedisClient.evaluate`):
/// `EVALSHA` first, and when Redis answers `NOSCRIPT` (it restarted, a
/// `SCRIPT FLUSH`, a failover to a replica that never saw it), `SCRIPT LOAD`
/// and `EVALSHA` once more. That retry is safe: `NOSCRIPT` means the script
/// did not run.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source, exactly as sent to `SCRIPT LOAD`.
    public let source: String
    /// The SHA-1 of `source`'s UTF-8 bytes, 40 lower-case hex digits.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        sha1 = SHA1.hex(Array(source.utf8))
    }
}

extension RedisCommand {
    /// `EVALSHA sha1 numkeys key… arg…`, for running a script inside a
    /// pipeline. A `NOSCRIPT` reply there is the caller's to handle
    /// (`scriptLoad` then run again); `evaluate` does it for single calls.
    public static func evalSHA(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = []) -> RedisCommand {
        RedisCommand("EVALSHA", arguments: [script.sha1, keys.count] + keys + arguments)
    }

    /// `SCRIPT LOAD source`: Redis caches the script and answers its SHA-1.
    public static func scriptLoad(_ script: RedisScript) -> RedisCommand {
        RedisCommand("SCRIPT", "LOAD", script.source)
    }
}
