import SluiceConfig
import SluiceCore

/// What an answer says is left of the provider's limit: `remaining` units
/// until the budget refills in `resetIn` nanoseconds, out of `limit`.
///
/// Meant for learning the real limit before a 429 (issue 12, part 4): the
/// provider counts every client spending the same key, Sluice only its own.
/// Compare successive budgets of one queue: when `remaining` falls faster
/// than the queue's own starts account for, someone else spends the same
/// budget, and the rate left to this queue is about `remaining ÷ resetIn`
/// (never above the configured rate). A budget with `remaining == 0` and a
/// `resetIn` says when sending may resume. Budgets are read from every
/// answer, successes included; the limiter decides what to do with them.
/// Stripe and Twilio send none: for them, 429s are the only signal.
public struct RateBudget: Equatable, Sendable {
    /// The header family it was read from, in the order `ProviderWait` trusts them.
    public enum Family: Equatable, Sendable {
        /// `x-ratelimit-{remaining,limit,reset}-{requests,tokens}`, resets as Go durations (OpenAI).
        case openAI
        /// `RateLimit` / `RateLimit-Policy`, or the older `RateLimit-Remaining`/`-Limit`/`-Reset` (IETF drafts).
        case ietf
        /// `x-ratelimit-{remaining,limit,reset}`, the reset in Unix seconds (GitHub, SendGrid).
        case xRateLimit
        /// The names in an `http` queue's `budgetHeaders`.
        case configured
    }

    public var family: Family
    /// Which budget of the answer: OpenAI's `requests` or `tokens`, an IETF
    /// policy's name; empty where the family states only one.
    public var name: String
    /// Units (requests, or tokens) still allowed before the reset.
    public var remaining: UInt64
    /// The budget when full; nil when the answer does not say.
    public var limit: UInt64?
    /// Nanoseconds until the budget refills (0: it already has); nil when the
    /// answer does not say. At most `StatusRules.longestServerDelay`.
    public var resetIn: UInt64?
    /// The header the reset was read from (lowercased), for logs.
    public var resetHeader: String?

    public init(family: Family, name: String = "", remaining: UInt64, limit: UInt64? = nil, resetIn: UInt64? = nil, resetHeader: String? = nil) {
        self.family = family
        self.name = name
        self.remaining = remaining
        self.limit = limit
        self.resetIn = resetIn.map { min($0, StatusRules.longestServerDelay) }
        self.resetHeader = resetHeader
    }

    /// Every budget `response` states. With `configured` names (an `http`
    /// queue's `budgetHeaders`), only those are read; otherwise the known
    /// families. `wallClockNow` (Unix seconds) turns epoch resets into waits.
    public static func read(_ response: ProviderResponse, configured: BudgetHeaders? = nil, wallClockNow: Int) -> [RateBudget] {
        if let configured { return [self.configured(response, configured, wallClockNow: wallClockNow)].compactMap { $0 } }
        return openAI(response) + ietf(response) + xRateLimit(response, wallClockNow: wallClockNow)
    }

    // Names are looked up in `headers` directly: they are lowercase already
    // (`BudgetHeaders` lowercases its own), and this runs on every answer.

    static func openAI(_ response: ProviderResponse) -> [RateBudget] {
        ["requests", "tokens"].compactMap { name in
            guard let remaining = response.headers["x-ratelimit-remaining-\(name)"].flatMap(HeaderNumber.whole) else { return nil }
            let resetHeader = "x-ratelimit-reset-\(name)"
            let reset = response.headers[resetHeader].flatMap(HeaderNumber.goDuration)
            return RateBudget(family: .openAI, name: name, remaining: remaining,
                              limit: response.headers["x-ratelimit-limit-\(name)"].flatMap(HeaderNumber.whole),
                              resetIn: reset, resetHeader: reset == nil ? nil : resetHeader)
        }
    }

    static func ietf(_ response: ProviderResponse) -> [RateBudget] {
        if let field = response.headers["ratelimit"], let members = RateLimitField.members(field), !members.isEmpty {
            if members.contains(where: { $0.value != nil }) { return [ietfDictionary(members)].compactMap { $0 } }
            let policies = response.headers["ratelimit-policy"].flatMap(RateLimitField.members) ?? []
            return members.compactMap { member in
                guard let remaining = member.parameters["r"].flatMap(HeaderNumber.whole) else { return nil }
                let quota = policies.first { $0.item == member.item }?.parameters["q"].flatMap(HeaderNumber.whole)
                let reset = member.parameters["t"].flatMap { HeaderNumber.scaled($0, unit: 1_000_000_000) }
                return RateBudget(family: .ietf, name: member.item, remaining: remaining, limit: quota,
                                  resetIn: reset, resetHeader: reset == nil ? nil : "ratelimit")
            }
        }
        guard let remaining = response.headers["ratelimit-remaining"].flatMap(HeaderNumber.whole) else { return [] }
        let reset = response.headers["ratelimit-reset"].flatMap { HeaderNumber.scaled($0, unit: 1_000_000_000) }
        return [RateBudget(family: .ietf, remaining: remaining, limit: response.headers["ratelimit-limit"].flatMap(HeaderNumber.whole),
                           resetIn: reset, resetHeader: reset == nil ? nil : "ratelimit-reset")]
    }

    /// `RateLimit: limit=100, remaining=0, reset=3` (drafts 06–07).
    private static func ietfDictionary(_ members: [RateLimitField.Member]) -> RateBudget? {
        func value(_ key: String) -> String? { members.first { $0.item == key }?.value }
        guard let remaining = value("remaining").flatMap(HeaderNumber.whole) else { return nil }
        let reset = value("reset").flatMap { HeaderNumber.scaled($0, unit: 1_000_000_000) }
        return RateBudget(family: .ietf, remaining: remaining, limit: value("limit").flatMap(HeaderNumber.whole),
                          resetIn: reset, resetHeader: reset == nil ? nil : "ratelimit")
    }

    /// GitHub and SendGrid: the reset is Unix time. A value below half of
    /// `wallClockNow` (decades ago) cannot be a reset time a server means,
    /// so it is read as seconds from now, as some APIs write the same header.
    static func xRateLimit(_ response: ProviderResponse, wallClockNow: Int) -> [RateBudget] {
        guard let remaining = response.headers["x-ratelimit-remaining"].flatMap(HeaderNumber.whole) else { return [] }
        let reset = response.headers["x-ratelimit-reset"].flatMap { epochOrSeconds($0, wallClockNow: wallClockNow) }
        return [RateBudget(family: .xRateLimit, remaining: remaining, limit: response.headers["x-ratelimit-limit"].flatMap(HeaderNumber.whole),
                           resetIn: reset, resetHeader: reset == nil ? nil : "x-ratelimit-reset")]
    }

    static func configured(_ response: ProviderResponse, _ names: BudgetHeaders, wallClockNow: Int) -> RateBudget? {
        guard let remaining = response.headers[names.remaining].flatMap(HeaderNumber.whole) else { return nil }
        let reset = names.reset.flatMap { response.headers[$0] }.flatMap { text -> UInt64? in
            switch names.resetFormat {
            case .seconds: HeaderNumber.scaled(text, unit: 1_000_000_000)
            case .milliseconds: HeaderNumber.scaled(text, unit: 1_000_000)
            case .duration: HeaderNumber.goDuration(text)
            case .epoch: epoch(text, wallClockNow: wallClockNow)
            }
        }
        return RateBudget(family: .configured, remaining: remaining, limit: names.limit.flatMap { response.headers[$0] }.flatMap(HeaderNumber.whole),
                          resetIn: reset, resetHeader: reset == nil ? nil : names.reset)
    }

    private static func epochOrSeconds(_ text: String, wallClockNow: Int) -> UInt64? {
        guard let instant = HeaderNumber.scaled(text, unit: 1_000_000_000) else { return nil }
        let halfNow = UInt64(max(0, wallClockNow) / 2).multipliedSaturated(by: 1_000_000_000)
        return instant < halfNow ? instant : epoch(text, wallClockNow: wallClockNow)
    }

    /// Unix seconds (decimals allowed) as nanoseconds from `wallClockNow`; 0 when past.
    private static func epoch(_ text: String, wallClockNow: Int) -> UInt64? {
        guard let instant = HeaderNumber.scaled(text, unit: 1_000_000_000) else { return nil }
        return instant.subtractingSaturated(UInt64(max(0, wallClockNow)).multipliedSaturated(by: 1_000_000_000))
    }
}
