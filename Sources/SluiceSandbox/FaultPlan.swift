import SluiceCore
import SluiceJSON
/// Faults the sandbox injects, set at start (`faults` in the configuration)
/// and replaced at run time with `POST /__sandbox/faults`.
///
/// Ratios and latency apply to the endpoints listed (all provider endpoints
/// when the list is absent; the echo route only when named). Forced 429s
/// apply to the next `count` requests of their endpoint, then expire.
public struct FaultPlan: Equatable, Sendable {
    /// Share of requests answered with `errorStatus` in the provider's error shape (0…1).
    public var errorRatio: Double = 0
    /// 500, 502, 503 or 504.
    public var errorStatus: Int = 500
    /// Share of requests whose connection is closed without an answer (0…1).
    public var dropRatio: Double = 0
    /// Added before every answer (and before a drop), in nanoseconds.
    public var latency: UInt64 = 0
    /// The endpoints the ratios and latency apply to; nil means every provider endpoint.
    public var endpoints: Set<SandboxEndpoint>?
    /// "Answer 429 with Retry-After: N to the next K requests on endpoint E."
    public var forced429: [Forced429] = []
    /// An unseen second client spending part of an endpoint's limits.
    public var sharedBudget: SharedBudget?

    public struct Forced429: Equatable, Sendable {
        public var endpoint: SandboxEndpoint
        public var count: Int
        public var retryAfterSeconds: Int

        public init(endpoint: SandboxEndpoint, count: Int, retryAfterSeconds: Int) {
            self.endpoint = endpoint
            self.count = count
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// "Another client spends `share` of `endpoint`'s limits": it sends at
    /// `share` of each shared limit, evenly spaced, into the same sliding
    /// windows the queue's requests are judged in, from the instant the plan
    /// is set until `until` later (nil: until the plan is replaced). Its
    /// requests obey the limits (refused ones are not charged) but are never
    /// counted in stats' `worstWindow`, `requests` or the arrivals: the
    /// client under test sees only the 429s and the budget headers.
    public struct SharedBudget: Equatable, Sendable {
        public var endpoint: SandboxEndpoint
        /// The fraction of each limit it spends, in (0, 1].
        public var share: Double
        /// How long it spends after the plan is set, in nanoseconds; nil: for ever.
        public var until: UInt64?

        public init(endpoint: SandboxEndpoint, share: Double, until: UInt64? = nil) {
            self.endpoint = endpoint
            self.share = share
            self.until = until
        }
    }

    public init() {}

    /// No faults at all.
    public static let none = FaultPlan()

    func applies(to endpoint: SandboxEndpoint) -> Bool {
        endpoints.map { $0.contains(endpoint) } ?? (endpoint != .echo)
    }

    /// Takes one forced 429 for `endpoint`, if any are left: its Retry-After in seconds.
    mutating func takeForced429(for endpoint: SandboxEndpoint) -> Int? {
        guard let index = forced429.firstIndex(where: { $0.endpoint == endpoint && $0.count > 0 }) else { return nil }
        forced429[index].count -= 1
        let retryAfter = forced429[index].retryAfterSeconds
        forced429.removeAll { $0.count <= 0 }
        return retryAfter
    }
}

extension FaultPlan {
    /// Parses the JSON form, e.g.
    /// `{"errorRatio": 0.1, "errorStatus": 503, "dropRatio": 0.05, "latency": "200ms",
    ///   "endpoints": ["stripe.refunds"], "force429": [{"endpoint": "openai.chat_completions", "count": 3, "retryAfter": 2}]}`.
    init(reading reader: SandboxConfigurationReader) throws(SandboxConfigurationError) {
        var reader = reader
        self.init()
        errorRatio = try reader.number("errorRatio", in: 0...1) ?? 0
        errorStatus = try reader.integer("errorStatus", in: 500...504) ?? 500
        guard [500, 502, 503, 504].contains(errorStatus) else {
            throw SandboxConfigurationError(field: reader.field("errorStatus"), value: "\(errorStatus)", fix: "use 500, 502, 503 or 504")
        }
        dropRatio = try reader.number("dropRatio", in: 0...1) ?? 0
        if let text = try reader.string("latency") {
            guard let nanoseconds = DurationText.nanoseconds(text), nanoseconds <= 600_000_000_000 else {
                throw SandboxConfigurationError(field: reader.field("latency"), value: text, fix: "write a duration up to 10m, like \"250ms\" or \"2s\"")
            }
            latency = nanoseconds
        }
        if let names = try reader.array("endpoints") {
            endpoints = Set(try names.enumerated().map { (index, name) throws(SandboxConfigurationError) in
                try Self.endpoint(name, field: reader.field("endpoints[\(index)]"))
            })
        }
        for (index, entry) in (try reader.array("force429") ?? []).enumerated() {
            forced429.append(try Self.forced(entry, field: reader.field("force429[\(index)]")))
        }
        if let shared = try reader.object("sharedBudget") { sharedBudget = try Self.sharedBudget(shared) }
        try reader.finish()
    }

    /// `{"endpoint": "stripe.payment_intents", "share": 0.3, "until": "30s"}`.
    private static func sharedBudget(_ reader: SandboxConfigurationReader) throws(SandboxConfigurationError) -> SharedBudget {
        var reader = reader
        let shown = "write {\"endpoint\": \"stripe.payment_intents\", \"share\": 0.3, \"until\": \"30s\"}"
        guard let name = reader.value("endpoint") else { throw SandboxConfigurationError(field: reader.field("endpoint"), value: "", fix: "an endpoint is required; " + shown) }
        let limited = SandboxEndpoint.allCases.filter { !$0.sharedLimits.isEmpty }
        guard case .string(let text) = name, let endpoint = SandboxEndpoint(rawValue: text), !endpoint.sharedLimits.isEmpty else {
            throw SandboxConfigurationError(field: reader.field("endpoint"), shown: name,
                                            fix: "name an endpoint with a limit shared by all its requests: " + limited.map(\.rawValue).joined(separator: ", "))
        }
        guard let share = try reader.number("share", in: 0...1), share > 0 else {
            throw SandboxConfigurationError(field: reader.field("share"), shown: reader.value("share") ?? .null,
                                            fix: "the fraction of the limit the other client spends: a number above 0 and at most 1, like 0.3")
        }
        var until: UInt64?
        if let text = try reader.string("until") {
            guard let nanoseconds = DurationText.nanoseconds(text), nanoseconds > 0, nanoseconds <= 86_400_000_000_000 else {
                throw SandboxConfigurationError(field: reader.field("until"), value: text, fix: "write a duration above 0 and up to 24h, like \"30s\" or \"2m\"")
            }
            until = nanoseconds
        }
        try reader.finish()
        return SharedBudget(endpoint: endpoint, share: share, until: until)
    }

    private static func endpoint(_ name: JSONValue, field: String) throws(SandboxConfigurationError) -> SandboxEndpoint {
        guard case .string(let text) = name, let endpoint = SandboxEndpoint(rawValue: text) else {
            throw SandboxConfigurationError(field: field, shown: name,
                                            fix: "name an endpoint: " + SandboxEndpoint.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return endpoint
    }

    private static func forced(_ entry: JSONValue, field: String) throws(SandboxConfigurationError) -> Forced429 {
        guard case .object(let object) = entry else {
            throw SandboxConfigurationError(field: field, shown: entry, fix: "write {\"endpoint\": \"stripe.refunds\", \"count\": 3, \"retryAfter\": 2}")
        }
        var reader = SandboxConfigurationReader(object, path: field)
        let endpoint = try Self.endpoint(reader.value("endpoint") ?? .string(""), field: reader.field("endpoint"))
        let count = try reader.integer("count", in: 1...1_000_000) ?? 1
        let retryAfter = try reader.integer("retryAfter", in: 0...86_400) ?? 1
        try reader.finish()
        return Forced429(endpoint: endpoint, count: count, retryAfterSeconds: retryAfter)
    }

    /// The JSON form, with the forced 429s still pending; `sharedBudget` only when set.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("errorRatio", .double(errorRatio)), ("errorStatus", .integer(errorStatus)), ("dropRatio", .double(dropRatio)),
            ("latency", .string(DurationText.goStyle(latency))),
            ("endpoints", endpoints.map { .array($0.map(\.rawValue).sorted().map(JSONValue.string)) } ?? .null),
            ("force429", .array(forced429.map {
                .object([("endpoint", .string($0.endpoint.rawValue)), ("count", .integer($0.count)), ("retryAfter", .integer($0.retryAfterSeconds))])
            })),
        ]
        if let shared = sharedBudget {
            members.append(("sharedBudget", .object([
                ("endpoint", .string(shared.endpoint.rawValue)), ("share", .double(shared.share)),
                ("until", shared.until.map { .string(DurationText.goStyle($0)) } ?? .null),
            ])))
        }
        return .object(members)
    }
}
