import SluiceConfig
import SluiceJSON

/// How one API's tasks become requests and its answers become outcomes.
/// Pure: no I/O, no clock but the one passed in, so each is tested as data.
public protocol Provider: Sendable {
    /// The request for `task`. Throws for a task that can never be sent.
    func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest
    /// Units charged to the queue's weighted limits before sending.
    func estimatedCost(of task: ProviderTask) -> UInt64
    /// The payload's types and ranges, as the API would judge them (its
    /// 400s), for a task `request(for:credential:)` accepts. Door only
    /// (`TaskAdmission`): a task already queued is never judged by it.
    func checkFields(of task: ProviderTask) throws(TaskRejected)
    /// What the answer means. `retryBound` and `wallClockNow` as in `StatusRules`.
    func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification
    /// The `Authorization` values this provider sends for `credential`, so
    /// they can be redacted from whatever an upstream echoes back.
    func authorizationValues(credential: Secret) -> [String]
}

extension Provider {
    public func estimatedCost(of task: ProviderTask) -> UInt64 { 1 }

    public func checkFields(of task: ProviderTask) throws(TaskRejected) {}

    public func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        StatusRules.classify(response, retryBound: retryBound, wallClockNow: wallClockNow)
    }

    public func authorizationValues(credential: Secret) -> [String] { bearer(credential).map(\.value) }

    /// Removes this provider's credential, in every form it is sent, from
    /// text a provider wrote (see `SecretRedactor`).
    public func redactor(credential: Secret?) -> SecretRedactor {
        guard let credential else { return .shapesOnly }
        return SecretRedactor(secrets: [credential.reveal()] + authorizationValues(credential: credential))
    }
}

/// The built-in providers.
public enum Providers {
    /// The provider a queue is configured with.
    public static func make(for queue: QueueConfig) -> any Provider {
        if queue.provider == .http {
            // The budget headers matter to classifying answers only: the door has no use for them.
            return HTTPProvider(baseURL: queue.baseURL, budgetHeaders: queue.budgetHeaders)
        }
        return make(queue.provider, baseURL: queue.baseURL, accountSID: queue.accountSID)
    }

    /// The provider the door's rules name (the same as the queue's, as far as building requests goes).
    public static func make(for rules: AdmissionRules) -> any Provider {
        make(rules.provider, baseURL: rules.baseURL, accountSID: rules.accountSID)
    }

    static func make(_ kind: ProviderKind, baseURL: String, accountSID: String?) -> any Provider {
        switch kind {
        case .sendgrid: SendGridProvider(baseURL: baseURL)
        case .stripe: StripeProvider(baseURL: baseURL)
        case .openai: OpenAIProvider(baseURL: baseURL)
        case .twilio: TwilioProvider(baseURL: baseURL, accountSID: accountSID ?? "")
        case .http: HTTPProvider(baseURL: baseURL)
        }
    }
}

extension ProviderTask {
    /// Refuses a kind the provider does not know, naming the ones it does.
    func require(kind allowed: [String]) throws(TaskRejected) {
        guard allowed.contains(kind) else {
            throw TaskRejected("kind: \"\(kind)\" is not a kind this queue's provider sends; use \(allowed.joined(separator: " or "))")
        }
    }

    /// Refuses a payload without the fields the API needs.
    func require(fields: [String]) throws(TaskRejected) {
        for field in fields where payload[field] == nil {
            throw TaskRejected("payload.\(field): is required for \(kind)")
        }
    }
}

extension ProviderTask {
    /// `payload.<field>` when it is a non-empty string (every API refuses an
    /// empty name, number or text); else refuses, saying what it should hold.
    func string(_ field: String, _ shape: String) throws(TaskRejected) -> String {
        guard case .string(let text)? = payload[field], !text.isEmpty else {
            throw TaskRejected("payload.\(field): must be a non-empty string, \(shape)")
        }
        return text
    }
}

func bearer(_ credential: Secret?) -> [(name: String, value: String)] {
    credential.map { [("Authorization", "Bearer \($0.reveal())")] } ?? []
}
