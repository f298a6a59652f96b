import SluiceConfig
import SluiceProviders
import SluiceSpool

/// What to do with a task after an attempt: the pure decision between
/// complete, retry (spending an attempt or not), and dead.
public enum AttemptPlan {
    /// The settlement for `outcome` of attempt number `attempt` (1-based) of
    /// a task allowed `maximumAttempts`, decided at wall-clock `now` (ns).
    /// `jitterUnit` is a draw from [0, 1) for the policy's jitter.
    ///
    /// A server-requested delay (`Retry-After`) is used exactly, without
    /// jitter: the server said when. A retry that does not spend an attempt
    /// (a 429 within the bound) never makes a task dead.
    public static func settlement(
        for outcome: Outcome, attempt: Int, maximumAttempts: Int, policy: RetryPolicy, now: UInt64, jitterUnit: Double
    ) -> Settlement {
        switch outcome {
        case .success:
            return .complete
        case .fail(let reason):
            return .deadLetter(reason: reason)
        case .retry(let requested, let reason, let spendsAttempt):
            if spendsAttempt, attempt >= maximumAttempts {
                return .deadLetter(reason: "attempt \(attempt) of \(maximumAttempts) failed: \(reason)")
            }
            let delay = requested ?? policy.delay(afterAttempt: attempt, unit: jitterUnit)
            let due = now &+ delay
            return spendsAttempt ? .retry(dueAt: due, error: reason) : .postpone(dueAt: due, error: reason)
        }
    }
}
