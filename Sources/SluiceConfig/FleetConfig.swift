import SluiceJSON
import SluiceLimiter
import SluicePOSIX

/// The whole configuration file, decoded once and validated at start.
public struct FleetConfig: Equatable, Sendable {
    public var fleet: FleetName
    /// Spool root; nil means the default state directory.
    public var spoolRoot: String?
    public var listen = ListenAddress.defaultAddress
    /// The credential holding the bearer token that `/v1/…` routes require.
    /// Required when `listen` is not loopback.
    public var adminToken: CredentialSource?
    /// How long in-flight work may take to finish on SIGTERM, in nanoseconds.
    public var shutdownTimeout: UInt64 = 30_000_000_000
    /// How long finished tasks stay in the spool's `done/` (ns); 0 forgets
    /// them at once. Keeping them lets `sluice task show` and audits find them.
    public var doneRetention: UInt64 = 0
    /// How long finished tasks' answers are kept with them (ns), unless a
    /// queue sets its own; 0 keeps none. Finished tasks stay in `done/`
    /// (and their ids taken) for the longer of this and `doneRetention`.
    public var resultRetention: UInt64 = 24 * 3600 * 1_000_000_000
    /// The largest request body the listener reads (an NDJSON batch), in bytes.
    public var maxRequestBodyBytes = 8 << 20
    /// The least important log lines written (`debug`, `info`, `warn`,
    /// `error`); warnings and errors are always written. At hundreds of tasks
    /// a second, `warn` spares the journal a line per task.
    public var logLevel = EventLog.Level.info
    /// The most request-body bytes the listener holds at once, across all
    /// connections; a request that does not fit is answered 503 unread.
    public var maxBufferedBodyBytes = 64 << 20
    /// The most client connections open at once (the listener also keeps it
    /// below what the file descriptor limit allows; see `ConnectionPlan`).
    public var maxConnections = 1024
    /// Host names (besides loopback names and IP addresses) that `/v1`
    /// requests may carry in `Host`: the names clients reach the listener by,
    /// e.g. a Kubernetes Service's; `.example.internal` allows every name
    /// ending so. Any other is refused (DNS rebinding).
    public var allowedHosts: [String] = []
    /// The Redis that makes each queue's limit one limit across hosts; nil:
    /// this host's segment is the whole limiter and nothing touches Redis.
    public var coordinator: CoordinatorConfig?
    /// Queues in the order the file lists them.
    public var queues: [QueueConfig]

    /// The queue called `name`, if configured.
    public func queue(_ name: String) -> QueueConfig? { queues.first { $0.name.rawValue == name } }

    /// Parses and validates a configuration file's bytes. Nothing is applied
    /// unless the whole file is valid; the first problem is the error.
    public static func parse(_ bytes: [UInt8]) throws(ConfigError) -> FleetConfig {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw ConfigError("", "\(error)")
        }
        var root = try ObjectReader(document, path: "")
        let fleetText = try root.string("fleet") ?? "default"
        let fleet: FleetName
        do { fleet = try FleetName(validating: fleetText) } catch { throw ConfigError("fleet", "\(error)") }
        var config = FleetConfig(fleet: fleet, queues: [])
        config.spoolRoot = try root.string("spool")
        if let spool = config.spoolRoot, !spool.hasPrefix("/") {
            throw ConfigError("spool", "\"\(spool)\" must be an absolute directory path, e.g. \"/var/lib/sluice/spool\"")
        }
        if let text = try root.string("listen") {
            guard let address = ListenAddress(parsing: text) else {
                throw ConfigError("listen", "\"\(text)\" is not an address; write \"127.0.0.1:9464\" (IPv4 literal and port)")
            }
            config.listen = address
        }
        if let name = try root.string("adminToken") {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigError("adminToken", "\"\(name)\" must name a credential (letters, digits, _), e.g. \"SLUICE_ADMIN_TOKEN\", resolved like a queue's credential")
            }
            config.adminToken = CredentialSource(name: name)
        }
        if !config.listen.isLoopback, config.adminToken == nil {
            throw ConfigError("listen", "\(config.listen) is reachable from other hosts: set \"adminToken\" to the name of a credential holding a bearer token (e.g. \"SLUICE_ADMIN_TOKEN\"), or listen on 127.0.0.1")
        }
        config.shutdownTimeout = try root.duration("shutdownTimeout", atLeast: 1_000_000) ?? config.shutdownTimeout
        config.doneRetention = try root.duration("doneRetention") ?? config.doneRetention
        config.resultRetention = try root.duration("resultRetention") ?? config.resultRetention
        config.maxRequestBodyBytes = try root.integer("maxRequestBodyBytes", in: 1024...(1 << 30)) ?? config.maxRequestBodyBytes
        if let text = try root.string("logLevel") {
            guard let level = EventLog.Level(rawValue: text) else {
                throw ConfigError("logLevel", "\"\(text)\" is not a level; write \"debug\", \"info\", \"warn\" or \"error\" (warnings and errors are always written)")
            }
            config.logLevel = level
        }
        config.maxBufferedBodyBytes = try root.integer("maxBufferedBodyBytes", in: 1024...(1 << 34)) ?? max(config.maxBufferedBodyBytes, config.maxRequestBodyBytes)
        guard config.maxBufferedBodyBytes >= config.maxRequestBodyBytes else {
            throw ConfigError("maxBufferedBodyBytes", "\(config.maxBufferedBodyBytes) is below maxRequestBodyBytes (\(config.maxRequestBodyBytes)): no request of the largest size could be read; raise it")
        }
        config.maxConnections = try root.integer("maxConnections", in: 1...65536) ?? config.maxConnections
        config.allowedHosts = try parseAllowedHosts(&root)
        if var block = try root.object("coordinator") {
            config.coordinator = try CoordinatorConfig.parse(&block)
        }
        guard var queues = try root.object("queues"), !queues.keys.isEmpty else {
            throw ConfigError("queues", "is required: an object with at least one queue, e.g. {\"stripe-api\": {\"provider\": \"stripe\", \"rate\": \"90/s\"}}")
        }
        for name in queues.keys {
            guard let value = queues.value(name) else { throw ConfigError(queues.field(name), "must be an object, not null") }
            config.queues.append(try QueueConfig.parse(name: name, value, path: queues.field(name)))
        }
        try queues.finish()
        try root.finish()
        return config
    }

    /// `allowedHosts`: DNS names, without port or scheme, lowercased.
    private static func parseAllowedHosts(_ root: inout ObjectReader) throws(ConfigError) -> [String] {
        guard let elements = try root.array("allowedHosts") else { return [] }
        return try elements.enumerated().map { (index, element) throws(ConfigError) -> String in
            guard case .string(let name) = element, !name.isEmpty, name.utf8.count <= 253,
                  name.utf8.allSatisfy({ byte in
                      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                          || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                  }) else {
                throw ConfigError("allowedHosts[\(index)]", "must be a host name like \"sluice.example.internal\", or \".example.internal\" for every name ending so (letters, digits, - and .; no port, no scheme)")
            }
            return name.lowercased()
        }
    }
}
