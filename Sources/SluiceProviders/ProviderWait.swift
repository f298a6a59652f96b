/// The most precise wait an answer gives: how long until the provider will
/// take the next request, in nanoseconds, and the header that said so.
///
/// Headers are tried from the finest to the coarsest, and the first that
/// reads wins; a whole second is never used where a finer figure exists:
///
/// 1. `retry-after-ms`, then `x-retry-after-ms`: milliseconds, decimals allowed
///    (OpenAI, Azure OpenAI);
/// 2. `x-ratelimit-reset-requests` / `-tokens`: Go durations (`"20ms"`, `"1.5s"`, `"6m0s"`; OpenAI);
/// 3. the IETF `RateLimit` fields: `t=` of a policy with `r=0`, `reset=`, or `RateLimit-Reset`;
/// 4. `Retry-After`: seconds (decimals allowed) or an HTTP-date;
/// 5. `x-ratelimit-reset` of a spent budget: Unix seconds (GitHub, SendGrid), or an
///    `http` queue's configured `budgetHeaders`.
///
/// A reset (2, 3, 5) is a wait only for a budget that is spent (`remaining`
/// 0: a 429 for tokens says nothing about when requests free up); several
/// spent budgets of one family wait for the latest. A value that does not
/// read (negative, NaN, garbage, overlong) is skipped for the next; a huge
/// one saturates at `UInt64.max`, and callers bound it
/// (`StatusRules.longestServerDelay`). Dates and Unix times are read
/// against whole wall-clock seconds, so they err long, never short.
public struct ProviderWait: Equatable, Sendable {
    public var nanoseconds: UInt64
    /// The header it came from, lowercased (`"retry-after-ms"`), for logs.
    public var header: String

    public init(nanoseconds: UInt64, header: String) {
        self.nanoseconds = nanoseconds
        self.header = header
    }

    /// The wait `response` gives, reading resets from `budgets` (those of
    /// `RateBudget.read` for the same answer); nil when it gives none.
    /// `wallClockNow` (Unix seconds) resolves HTTP-dates.
    public static func read(_ response: ProviderResponse, budgets: [RateBudget], wallClockNow: Int) -> ProviderWait? {
        for header in ["retry-after-ms", "x-retry-after-ms"] {
            if let wait = response.headers[header].flatMap({ HeaderNumber.scaled($0, unit: 1_000_000) }) {
                return ProviderWait(nanoseconds: wait, header: header)
            }
        }
        if let wait = spent(budgets.filter { $0.family == .openAI }) { return wait }
        if let wait = spent(budgets.filter { $0.family == .ietf }) { return wait }
        if let wait = response.headers["retry-after"].flatMap({ RetryAfter.delay($0, wallClockNow: wallClockNow) }) {
            return ProviderWait(nanoseconds: wait, header: "retry-after")
        }
        return spent(budgets.filter { $0.family == .xRateLimit || $0.family == .configured })
    }

    /// The same, reading the known budget families itself.
    public static func read(_ response: ProviderResponse, wallClockNow: Int) -> ProviderWait? {
        read(response, budgets: RateBudget.read(response, wallClockNow: wallClockNow), wallClockNow: wallClockNow)
    }

    /// The latest reset of the spent budgets of one family.
    private static func spent(_ family: [RateBudget]) -> ProviderWait? {
        family.filter { $0.remaining == 0 && $0.resetIn != nil }
            .max { ($0.resetIn ?? 0) < ($1.resetIn ?? 0) }
            .map { ProviderWait(nanoseconds: $0.resetIn ?? 0, header: $0.resetHeader ?? "") }
    }
}
