/// Where an `http` queue's upstream states its remaining budget, when it
/// does not use a family Sluice reads by itself (OpenAI's, GitHub's and
/// SendGrid's `x-ratelimit-*`, the IETF `RateLimit` fields).
///
/// JSON form, in a queue: `"budgetHeaders": {"remaining": "X-Quota-Left",
/// "limit": "X-Quota", "reset": "X-Quota-Reset", "resetFormat": "epoch"}`;
/// only `remaining` is required.
public struct BudgetHeaders: Equatable, Sendable {
    /// How the reset header writes when the budget refills.
    public enum ResetFormat: String, CaseIterable, Equatable, Sendable {
        /// Seconds from now, decimals allowed (`"3"`, `"1.5"`).
        case seconds
        /// Milliseconds from now, decimals allowed (`"1500"`).
        case milliseconds
        /// Unix time in seconds (`"1767225600"`), as GitHub and SendGrid write it.
        case epoch
        /// A Go duration (`"1.5s"`, `"6m0s"`), as OpenAI writes it.
        case duration
    }

    /// Header names, lowercased (answers' header names are compared lowercased).
    public var remaining: String
    public var limit: String?
    public var reset: String?
    public var resetFormat: ResetFormat

    public init(remaining: String, limit: String? = nil, reset: String? = nil, resetFormat: ResetFormat = .seconds) {
        self.remaining = remaining.lowercased()
        self.limit = limit?.lowercased()
        self.reset = reset?.lowercased()
        self.resetFormat = resetFormat
    }
}
