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
    /// policy's maximum interval); `wallClockNow` resolves HTTP-dates.
    public static func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        let status = response.status
        if (200..<300).contains(status) { return Classification(.success) }
        let requested = response.header("retry-after")
            .flatMap { RetryAfter.delay($0, wallClockNow: wallClockNow) }
            .map { min($0, longestServerDelay) }
        let reason = "HTTP \(status)" + (response.body.isEmpty ? "" : ": \(response.bodySnippet)")
        if status == 429 {
            let told = requested.map { $0 <= retryBound } ?? false
            return Classification(
                .retry(delay: requested, reason: reason, spendsAttempt: !told),
                pushBack: requested ?? 1_000_000_000
            )
        }
        if retryable.contains(status) { return Classification(.retry(delay: requested, reason: reason, spendsAttempt: true)) }
        return Classification(.fail(reason: reason))
    }
}
