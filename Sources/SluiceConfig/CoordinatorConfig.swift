import SluiceCore
import SluiceRedis

/// The fleet's `coordinator` block: the Redis that holds every queue's one
/// schedule when the fleet runs on several hosts. Absent, nothing touches
/// Redis and each host's shared-memory segment is the whole limiter.
///
/// ```json
/// "coordinator": {"redis": "redis://10.0.0.5:6379/0", "credential": "SLUICE_REDIS_PASSWORD",
///                 "host": "sluice-0", "onUnavailable": "wait"}
/// ```
public struct CoordinatorConfig: Equatable, Sendable {
    /// What a host admits once Redis cannot be reached and the instants it
    /// had reserved are used up.
    public enum OnUnavailable: Equatable, Sendable {
        /// Nothing more: tasks wait in the spool until Redis answers again.
        case wait
        /// Each host runs alone at the rate ÷ `maxHosts` (so the fleet stays
        /// under the rate as long as no more than `maxHosts` hosts run).
        case share(maxHosts: Int)
    }

    /// Where Redis listens (the password is never part of it).
    public var redis: RedisEndpoint
    /// The credential holding Redis's password, if it has one.
    public var credential: CredentialSource?
    /// This host's name in the fleet, as configured; nil: derived at start
    /// (see `HostIdentity.resolve`).
    public var host: String?
    public var onUnavailable: OnUnavailable = .wait
    /// Each call to Redis's budget: connecting, sending and the whole reply.
    public var callTimeout: UInt64 = 100_000_000

    public init(redis: RedisEndpoint, credential: CredentialSource? = nil, host: String? = nil,
                onUnavailable: OnUnavailable = .wait, callTimeout: UInt64 = 100_000_000) {
        self.redis = redis
        self.credential = credential
        self.host = host
        self.onUnavailable = onUnavailable
        self.callTimeout = callTimeout
    }

    static let fields = "redis, credential, host, onUnavailable, maxHosts, timeout"

    /// Decodes the block; every error names the field and the fix.
    static func parse(_ reader: inout ObjectReader) throws(ConfigError) -> CoordinatorConfig {
        guard let url = try reader.string("redis") else {
            throw ConfigError(reader.field("redis"), "is required: where Redis listens, e.g. \"redis://127.0.0.1:6379/0\" or \"unix:///run/redis/redis.sock\"")
        }
        let endpoint: RedisEndpoint
        do { endpoint = try RedisEndpoint(parsing: url) } catch { throw ConfigError(reader.field("redis"), error.reason) }
        var config = CoordinatorConfig(redis: endpoint)
        if let name = try reader.string("credential") {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ConfigError(reader.field("credential"), "\"\(name)\" must name a credential (letters, digits, _), e.g. \"SLUICE_REDIS_PASSWORD\", resolved like a queue's credential")
            }
            config.credential = CredentialSource(name: name)
        }
        if let host = try reader.string("host") {
            guard HostIdentity.isValidName(host) else {
                throw ConfigError(reader.field("host"), "\"\(host)\" is not a host name: 1–63 letters, digits, '-', '_' or '.', e.g. \"sluice-0\" (or leave it out: the hostname, or the pod's name under Kubernetes)")
            }
            config.host = host
        }
        let maxHosts = try reader.integer("maxHosts", in: 1...1024)
        switch try reader.string("onUnavailable") ?? "wait" {
        case "wait":
            if maxHosts != nil {
                throw ConfigError(reader.field("maxHosts"), "is read only with \"onUnavailable\": \"share\" (each host then runs at the rate ÷ maxHosts while Redis is away); remove it, or set onUnavailable to \"share\"")
            }
        case "share":
            guard let maxHosts else {
                throw ConfigError(reader.field("onUnavailable"), "\"share\" needs \"maxHosts\": the most hosts that can run at once, so each may send the rate ÷ maxHosts while Redis is away, e.g. \"maxHosts\": 3")
            }
            config.onUnavailable = .share(maxHosts: maxHosts)
        case let other:
            throw ConfigError(reader.field("onUnavailable"), "\"\(other)\" is not a choice; write \"wait\" (admit nothing beyond what was reserved until Redis answers) or \"share\" (each host at the rate ÷ maxHosts)")
        }
        if let timeout = try reader.duration("timeout", atLeast: 1_000_000) {
            guard timeout <= 5_000_000_000 else {
                throw ConfigError(reader.field("timeout"), "\"\(DurationText.describe(timeout))\" is too long: while a call waits, nothing new is reserved; the most is 5s (default 100ms)")
            }
            config.callTimeout = timeout
        }
        try reader.finish()
        return config
    }
}
