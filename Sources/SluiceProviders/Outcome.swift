/// What an HTTP answer (or its absence) means for the task.
public enum Outcome: Equatable, Sendable {
    /// Done: the task is complete.
    case success
    /// Try again. `delay` is what the server asked for (`ProviderWait`), or
    /// nil for the policy's backoff. `spendsAttempt` is false for a 429 that
    /// said when to come back within the policy's bound: being told to wait
    /// is not a failure of the task.
    case retry(delay: UInt64?, reason: String, spendsAttempt: Bool)
    /// Never going to work as it is: dead at once, with the reason.
    case fail(reason: String)
}

/// An outcome plus what the answer tells the whole queue.
public struct Classification: Equatable, Sendable {
    public var outcome: Outcome
    /// Hold every process on the queue back this long (a 429, or a provider
    /// saying its budget is spent until a reset), in nanoseconds.
    public var pushBack: UInt64?
    /// Cost units the request really used (OpenAI `usage.total_tokens`), to
    /// reconcile with the estimate charged before sending.
    public var costUsed: UInt64?
    /// The wait the answer gave, and the header that gave it (unbounded;
    /// `outcome` and `pushBack` hold it bounded), for logs.
    public var wait: ProviderWait?
    /// What the answer says is left of the provider's limit, successes
    /// included: for learning the real limit before a 429 (see `RateBudget`).
    public var budgets: [RateBudget]

    public init(_ outcome: Outcome, pushBack: UInt64? = nil, costUsed: UInt64? = nil, wait: ProviderWait? = nil, budgets: [RateBudget] = []) {
        self.outcome = outcome
        self.pushBack = pushBack
        self.costUsed = costUsed
        self.wait = wait
        self.budgets = budgets
    }
}

/// An answer from the server, as plain values.
public struct ProviderResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// What `bodySnippet` removes: the worker sets the queue's secrets here
    /// before classifying, so no provider's error text carries them on.
    public var redactor: SecretRedactor

    /// How much of the body is scanned for secrets before the snippet is cut,
    /// so a credential that straddles the cut is still found whole.
    static let snippetScanBytes = 4096
    /// The longest snippet kept, in characters.
    public static let snippetLength = 200

    public init(status: Int, headers: [String: String], body: [UInt8], redactor: SecretRedactor = .shapesOnly) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
        self.redactor = redactor
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The start of the body, for a task's `lastError`: secrets and anything
    /// shaped like a credential redacted (before cutting, see
    /// `snippetScanBytes`), on one line, control characters shown as `?`.
    public var bodySnippet: String {
        let text = redactor.redact(String(decoding: body.prefix(Self.snippetScanBytes), as: UTF8.self))
        let flat = text.unicodeScalars.lazy.prefix(Self.snippetLength * 2).map { scalar -> Character in
            if scalar == "\r" || scalar == "\n" || scalar == "\t" { return " " }
            return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : Character(scalar)
        }
        return String(String(flat).prefix(Self.snippetLength))
    }
}
