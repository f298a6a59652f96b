import SluiceConfig
import SluiceJSON

/// What the door needs to know of a queue to judge a task exactly as its
/// workers will: the provider and where it sends, the per-key field, the
/// weighted limits' bursts. Taken from the configuration, or from a running
/// fleet (`GET /v1/queues/{queue}/admission`) as `json`.
public struct AdmissionRules: Sendable, Equatable {
    public var queue: String
    public var provider: ProviderKind
    public var baseURL: String
    /// Twilio's account SID (part of its URL path).
    public var accountSID: String?
    /// The payload field a per-key limit keys on; nil without a per-key limit.
    public var perKeyField: String?
    /// Each weighted limit's name and burst: a cost above a burst can never be sent.
    public var weighted: [(name: String, burst: UInt64)]
    /// The name the credential is read from (`STRIPE_API_KEY`), never its value;
    /// nil when the queue sends none.
    public var credentialName: String?

    public init(queue: QueueConfig) {
        self.queue = queue.name.rawValue
        provider = queue.provider
        baseURL = queue.baseURL
        accountSID = queue.accountSID
        perKeyField = queue.perKey?.field
        weighted = queue.weighted.map { ($0.name, $0.burst) }
        credentialName = queue.credential?.name
    }

    public static func == (lhs: AdmissionRules, rhs: AdmissionRules) -> Bool {
        lhs.queue == rhs.queue && lhs.provider == rhs.provider && lhs.baseURL == rhs.baseURL && lhs.accountSID == rhs.accountSID
            && lhs.perKeyField == rhs.perKeyField && lhs.weighted.map(\.name) == rhs.weighted.map(\.name)
            && lhs.weighted.map(\.burst) == rhs.weighted.map(\.burst) && lhs.credentialName == rhs.credentialName
    }

    /// The document the admission route answers.
    public var json: JSONValue {
        .object([
            ("queue", .string(queue)),
            ("provider", .string(provider.rawValue)),
            ("kinds", .array(provider.kinds.map { .string($0) })),
            ("baseURL", .string(baseURL)),
            ("accountSid", .string(orNull: accountSID)),
            ("perKeyField", .string(orNull: perKeyField)),
            ("credential", .string(orNull: credentialName)),
            ("weighted", .array(weighted.map { .object([("name", .string($0.name)), ("burst", .number(String($0.burst)))]) })),
        ])
    }

    /// Reads `json` (the admission route's answer); nil if it is not one.
    public init?(json: JSONValue) {
        guard case .object(let object) = json,
              case .string(let queue)? = object["queue"],
              case .string(let kind)? = object["provider"], let provider = ProviderKind(rawValue: kind),
              case .string(let baseURL)? = object["baseURL"],
              case .array(let limits)? = object["weighted"] else { return nil }
        var weighted: [(name: String, burst: UInt64)] = []
        for case .object(let limit) in limits {
            guard case .string(let name)? = limit["name"], let burst = limit["burst"]?.wholeNumber else { return nil }
            weighted.append((name, burst))
        }
        guard weighted.count == limits.count else { return nil }
        self.queue = queue
        self.provider = provider
        self.baseURL = baseURL
        if case .string(let sid)? = object["accountSid"] { accountSID = sid } else { accountSID = nil }
        if case .string(let field)? = object["perKeyField"] { perKeyField = field } else { perKeyField = nil }
        if case .string(let name)? = object["credential"] { credentialName = name } else { credentialName = nil }
        self.weighted = weighted
    }
}
