import SluiceHTTP
import SluiceJSON

/// An instant as the sandbox needs it: monotonic nanoseconds for limits,
/// wall-clock seconds for the `created` fields and reset times in answers.
public struct SandboxInstant: Sendable, Equatable {
    public var monotonic: UInt64
    public var epochSeconds: Int
    /// The wall clock to the nanosecond (resets written as Unix time are rounded up from it).
    public var epochNanoseconds: UInt64

    public init(monotonic: UInt64, epochSeconds: Int, epochNanoseconds: UInt64? = nil) {
        self.monotonic = monotonic
        self.epochSeconds = epochSeconds
        self.epochNanoseconds = epochNanoseconds ?? UInt64(max(0, epochSeconds)) * 1_000_000_000
    }
}

/// An answer and how long to hold it first (the latency fault).
public struct SandboxReply: Sendable {
    public var response: HTTPResponse
    public var delay: UInt64
}

/// The sandbox's decisions, with no I/O and no clock: a request and an
/// instant in, an answer out, all state in this value.
///
/// Order of checks for a provider request: drop fault → forced 429 →
/// credentials and payload (the provider's 401/400) → limits (429 with
/// Retry-After) → Stripe idempotency replay → 5xx fault → the answer.
/// Only requests that pass credentials and payload reach the limits. Before
/// any of it, a `sharedBudget` fault's unseen client is caught up to the
/// instant (`SharedBudgetSpender`), so the windows hold its requests too.
public struct SandboxEngine {
    public let configuration: SandboxConfiguration
    public private(set) var faults: FaultPlan
    private var limits: SandboxLimits
    private var stats = SandboxStats()
    /// Every provider request's arrival and answer, for `GET /__sandbox/arrivals`.
    private(set) var arrivals = ArrivalLog()
    private var idempotency = StripeIdempotency()
    private var shared: ResponseContext
    /// The monotonic instant arrivals count from (start, or last reset).
    private(set) var startedAt: UInt64
    /// The latest instant a request was judged at (see `respond`).
    private var latestArrival: UInt64 = 0
    /// The `sharedBudget` fault's unseen client, while the plan has one.
    private var spender: SharedBudgetSpender?

    public init(configuration: SandboxConfiguration, now: UInt64) {
        self.configuration = configuration
        faults = configuration.faults
        limits = SandboxLimits(configuration.limits)
        shared = ResponseContext(random: SandboxRandom(seed: configuration.seed), epochSeconds: 0,
                                 paymentIntents: BoundedMap(capacity: 100_000))
        startedAt = now
        spender = faults.sharedBudget.map { SharedBudgetSpender($0, limits: configuration.limits, start: now) }
    }

    /// Answers a request routed to `endpoint` (`parameters`: the path's captures).
    public mutating func respond(to request: HTTPRequest, endpoint: SandboxEndpoint, parameters: [String: String] = [:],
                                 at instant: SandboxInstant) -> SandboxReply {
        stats.update(endpoint) { $0.requests += 1 }
        // Requests stamped on arrival may reach the engine out of order (each
        // is answered on its own task): time never runs backwards for the
        // windows, a request judged out of order counts as arriving with the
        // latest one (µs apart).
        var instant = instant
        instant.monotonic = max(instant.monotonic, latestArrival)
        latestArrival = instant.monotonic
        spender?.catchUp(to: instant.monotonic, limits: &limits)
        shared.epochSeconds = instant.epochSeconds
        shared.epochNanoseconds = instant.epochNanoseconds
        shared.headroom = [:]
        let faulty = faults.applies(to: endpoint)
        let delay = faulty ? faults.latency : 0
        let sinceStart = instant.monotonic - min(instant.monotonic, startedAt)
        if faulty && shared.random.chance(faults.dropRatio) {
            stats.update(endpoint) { $0.dropped += 1 }
            arrivals.record(endpoint, sinceStart: sinceStart, status: 0)
            return SandboxReply(response: .dropConnection, delay: delay)
        }
        let response = answer(request, endpoint: endpoint, parameters: parameters, faulty: faulty, now: instant.monotonic)
        arrivals.record(endpoint, sinceStart: sinceStart, status: response.status.code)
        return SandboxReply(response: response, delay: delay)
    }

    private mutating func answer(_ request: HTTPRequest, endpoint: SandboxEndpoint, parameters: [String: String],
                                 faulty: Bool, now: UInt64) -> HTTPResponse {
        guard let api = endpoint.api else { return echo(request) }
        if let retryAfter = faults.takeForced429(for: endpoint) {
            shared.headroom = limits.peek(endpoint.sharedLimits, now: now)
            return counted(api.tooManyRequests(retryAfter: UInt64(retryAfter) * 1_000_000_000, refused: nil, context: shared), endpoint)
        }
        let call: ProviderCall
        switch api.validate(request, parameters: parameters, keys: configuration.keys) {
        case .reject(let refusal): return counted(refusal, endpoint)
        case .proceed(let proceed): call = proceed
        }
        switch limits.decide(call.charges, twilioNumber: call.twilioNumber, now: now) {
        case .refused(let limit, let retryAfter, let headroom):
            shared.headroom = headroom
            let wait = retryAfter ?? (configuration.limits[limit]?.window ?? 60_000_000_000)
            return counted(api.tooManyRequests(retryAfter: wait, refused: limit, context: shared), endpoint)
        case .admitted(let headroom):
            shared.headroom = headroom
        }
        if let (key, fingerprint) = call.idempotency, let replay = idempotency.replay(key: key, fingerprint: fingerprint) {
            if replay.status == .ok { stats.update(endpoint) { $0.duplicates += 1 } } else { stats.count(endpoint, status: replay.status.code, success: false) }
            return replay
        }
        if faulty && shared.random.chance(faults.errorRatio) {
            let status = HTTPStatus(code: faults.errorStatus, reason: faults.errorStatus == 503 ? "Service Unavailable" : "Internal Server Error")
            return counted(api.serverError(status: status, context: shared), endpoint)
        }
        let response = call.respond(&shared)
        if let (key, fingerprint) = call.idempotency, response.status.code < 300 {
            idempotency.remember(key: key, fingerprint: fingerprint, response: response)
        }
        return counted(response, endpoint)
    }

    private mutating func counted(_ response: HTTPResponse, _ endpoint: SandboxEndpoint) -> HTTPResponse {
        stats.count(endpoint, status: response.status.code, success: response.status.code < 300)
        return response
    }

    /// The echo route: the request's body back, with its content type.
    private mutating func echo(_ request: HTTPRequest) -> HTTPResponse {
        stats.update(.echo) { $0.successes += 1 }
        return HTTPResponse(status: .ok, headers: ["Content-Type": request.headers["Content-Type"] ?? "application/octet-stream"], body: request.body)
    }

    /// Replaces the fault plan (forced 429s included) at `now`: a shared
    /// budget in it starts spending now; one not in it stops.
    public mutating func setFaults(_ plan: FaultPlan, now: UInt64) {
        spender?.catchUp(to: now, limits: &limits)
        faults = plan
        spender = plan.sharedBudget.map { SharedBudgetSpender($0, limits: configuration.limits, start: now) }
    }

    /// Back to the start: counters, limit windows, idempotency keys and the
    /// fault plan as configured. The identifiers' sequence goes on.
    public mutating func reset(now: UInt64) {
        let random = shared.random
        self = SandboxEngine(configuration: configuration, now: now)
        shared.random = random
    }

    /// `GET /__sandbox/stats` as JSON.
    mutating func statsJSON(now: UInt64) -> JSONValue {
        spender?.catchUp(to: now, limits: &limits)
        return .object([
            ("uptimeSeconds", .double((Double(now - min(now, startedAt)) / 1e6).rounded() / 1e3)),
            ("endpoints", stats.json), ("limits", limits.json(now: now)), ("twilioNumbers", limits.twilioNumbersJSON),
            ("faults", faults.json), ("sharedBudget", spender?.json(now: now) ?? .null),
        ])
    }
}

extension SandboxEndpoint {
    /// The provider behind the route; nil for the sandbox's own echo.
    var api: (any ProviderAPI.Type)? {
        switch self {
        case .sendgridMailSend: SendGridAPI.self
        case .stripePaymentIntents, .stripeRefunds: StripeAPI.self
        case .openaiChatCompletions: OpenAIAPI.self
        case .twilioMessages: TwilioAPI.self
        case .echo: nil
        }
    }

    /// The limits every request of this endpoint is charged to (not per-key ones).
    var sharedLimits: [SandboxLimitName] {
        switch self {
        case .sendgridMailSend: [.sendgridRequests]
        case .stripePaymentIntents, .stripeRefunds: [.stripeRequests]
        case .openaiChatCompletions: [.openaiRequests, .openaiTokens]
        case .twilioMessages, .echo: []
        }
    }
}
