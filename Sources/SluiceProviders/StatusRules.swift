import SluiceConfig

/// The rules every provider shares for what a status code means.
///
/// Retryable: 408, 409, 425, 429, 500, 502, 503, 504 (and transport
/// failures, decided by the executor). Any other non-2xx is final.
public enum StatusRules {
    public static let retryable: Set<Int> = [408, 409, 425, 429, 500, 502, 503, 504]

    /// The longest a server's answer may make a task wait or hold its queue
    /// back (one day); a longer `Retry-After` or reset means this. Beyond
    /// sanity, it keeps `now + delay` far from overflowing 64-bit nanoseconds.
    public static let longestServerDelay: UInt64 = 86_400_000_000_000

    /// Classifies `response`. `retryBound` is the longest server-requested
    /// delay that a 429 may ask for without spending an attempt (the retry
    /// policy's maximum interval); `wallClockNow` resolves HTTP-dates and
    /// epoch resets. The delay is the answer's most precise wait
    /// (`ProviderWait`); `budgetHeaders`, an `http` queue's own names for
    /// its budget, replace the known families (`RateBudget`).
    public static func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int,
                                budgetHeaders: BudgetHeaders? = nil) -> Classification {
        let status = response.status
        let budgets = RateBudget.read(response, configured: budgetHeaders, wallClockNow: wallClockNow)
        if (200..<300).contains(status) { return Classification(.success, budgets: budgets) }
        let wait = ProviderWait.read(response, budgets: budgets, wallClockNow: wallClockNow)
        let requested = wait.map { min($0.nanoseconds, longestServerDelay) }
        let reason = "HTTP \(status)" + (response.body.isEmpty ? "" : ": \(response.bodySnippet)")
        if status == 429 {
            let told = requested.map { $0 <= retryBound } ?? false
            return Classification(
                .retry(delay: requested, reason: reason, spendsAttempt: !told),
                pushBack: requested ?? 1_000_000_000, wait: wait, budgets: budgets
            )
        }
        if retryable.contains(status) {
            return Classification(.retry(delay: requested, reason: reason, spendsAttempt: true), wait: wait, budgets: budgets)
        }
        return Classification(.fail(reason: reason), budgets: budgets)
    }
}
