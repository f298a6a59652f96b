import SluiceLimiter
import SluiceCore

/// One queue of the fleet, decoded and validated.
public struct QueueConfig: Equatable, Sendable {
    public var name: QueueName
    public var provider: ProviderKind
    /// Scheme, host and optional port (and path prefix) every request goes to.
    /// Tasks choose only the path after it.
    public var baseURL: String
    /// The queue's rate across every process, and its burst.
    public var rate: Rate
    public var burst: UInt64 = 1
    /// An extra limit each worker process applies to itself alone.
    public var perWorkerRate: Rate?
    public var perWorkerBurst: UInt64 = 1
    /// Requests in flight at once in one worker process.
    public var maxConcurrentPerWorker = 4
    /// Requests in flight at once across the fleet; 0 means no limit.
    public var maxConcurrent = 0
    /// Worker processes the supervisor runs for this queue.
    public var processes = 1
    public var retry = RetryPolicy()
    /// How long one HTTP request may take, in nanoseconds.
    public var requestTimeout: UInt64 = 30_000_000_000
    /// How long an attempt may wait for its answer to begin; nil: the request
    /// timeout. For APIs that answer at once (Stripe, Twilio), a few seconds
    /// frees a stuck connection's slot long before the request timeout.
    public var firstByteTimeout: UInt64?
    /// The largest answer a worker reads, in bytes, counted both as it
    /// arrives (compressed) and as decompressed; over it the attempt fails
    /// and the rest is not read. (When answers are kept as results, this is
    /// also the most kept.)
    public var maxResponseBytes = 4 << 20
    /// The answer's headers kept with a finished task's result (names,
    /// lowercased): by default the content type and the providers' request
    /// and object ids (`ResultHeaders.defaults`).
    public var resultHeaders: [String] = ResultHeaders.defaults
    /// The most body bytes kept per answer; beyond it the body is cut and
    /// the result marked `truncated`. 0 keeps status and headers only.
    public var resultMaxBytes = 1 << 20
    /// How long this queue keeps finished tasks' answers (ns); nil: the
    /// fleet's `resultRetention`.
    public var resultRetention: UInt64?
    /// Where the credential comes from; nil if the queue sends none.
    public var credential: CredentialSource?
    /// A limit per key (e.g. per sending number) and the payload field that
    /// holds the key when a task does not give `key` itself.
    public var perKey: PerKeyLimit?
    /// Limits charged by a task's cost (e.g. tokens per minute).
    public var weighted: [WeightedLimit] = []
    /// Twilio's account SID (part of its URL path; not a secret).
    public var accountSID: String?
    /// `http` queues only: the headers the upstream states its remaining
    /// budget in; nil: the families Sluice knows (`RateBudget`).
    public var budgetHeaders: BudgetHeaders?

    public struct PerKeyLimit: Equatable, Sendable {
        public var field: String
        public var rate: Rate
        public var burst: UInt64
    }

    public struct WeightedLimit: Equatable, Sendable {
        public var name: String
        public var rate: Rate
        public var burst: UInt64
    }

    /// The limits the coordinator enforces for this queue.
    public var limits: QueueLimits {
        QueueLimits(
            rate: GCRA.Limit(rate: rate, burst: burst),
            perKey: perKey.map { GCRA.Limit(rate: $0.rate, burst: $0.burst) },
            weighted: weighted.map { GCRA.Limit(rate: $0.rate, burst: $0.burst) },
            maxConcurrent: maxConcurrent
        )
    }
}
