import SluiceConfig
import SluiceProviders
import SluiceSpool
import Testing
@testable import SluiceWorker

/// What happens to a task after an attempt, as a table.
@Suite struct AttemptPlanTests {
    static let second: UInt64 = 1_000_000_000
    static let now: UInt64 = 1_700_000_000 * second

    struct Row: Sendable, CustomTestStringConvertible {
        let why: String
        let outcome: Outcome
        let attempt: Int
        let expected: Settlement
        var testDescription: String { why }
    }

    static let rows: [Row] = [
        Row(why: "success completes", outcome: .success, attempt: 1, expected: .complete),
        Row(why: "a final answer is dead at once, even on the first attempt",
            outcome: .fail(reason: "HTTP 400"), attempt: 1, expected: .deadLetter(reason: "HTTP 400")),
        Row(why: "a retryable failure waits the policy's backoff (1 s after attempt 1, no jitter)",
            outcome: .retry(delay: nil, reason: "HTTP 503", spendsAttempt: true), attempt: 1,
            expected: .retry(dueAt: now + second, error: "HTTP 503")),
        Row(why: "backoff doubles: 4 s after attempt 3",
            outcome: .retry(delay: nil, reason: "transport: refused", spendsAttempt: true), attempt: 3,
            expected: .retry(dueAt: now + 4 * second, error: "transport: refused")),
        Row(why: "Retry-After sets the delay exactly",
            outcome: .retry(delay: 7 * second, reason: "HTTP 503", spendsAttempt: true), attempt: 2,
            expected: .retry(dueAt: now + 7 * second, error: "HTTP 503")),
        Row(why: "the last attempt failing makes the task dead with the last error",
            outcome: .retry(delay: nil, reason: "HTTP 502", spendsAttempt: true), attempt: 5,
            expected: .deadLetter(reason: "attempt 5 of 5 failed: HTTP 502")),
        Row(why: "a 429 inside the bound is postponed without spending an attempt",
            outcome: .retry(delay: 2 * second, reason: "HTTP 429", spendsAttempt: false), attempt: 1,
            expected: .postpone(dueAt: now + 2 * second, error: "HTTP 429")),
        Row(why: "…and never makes a task dead, even at the last attempt",
            outcome: .retry(delay: 2 * second, reason: "HTTP 429", spendsAttempt: false), attempt: 5,
            expected: .postpone(dueAt: now + 2 * second, error: "HTTP 429")),
    ]

    @Test(arguments: rows)
    func settlement_followsThePolicy(_ row: Row) {
        var policy = RetryPolicy()
        policy.jitter = 0
        let settlement = AttemptPlan.settlement(for: row.outcome, attempt: row.attempt, maximumAttempts: 5,
                                                policy: policy, now: Self.now, jitterUnit: 0.5)
        #expect(settlement == row.expected, "\(row.why)")
    }

    @Test func jitter_onlyShortensThePolicyDelay() {
        let policy = RetryPolicy() // jitter 0.2
        let outcome = Outcome.retry(delay: nil, reason: "HTTP 500", spendsAttempt: true)
        for unit in [0.0, 0.5, 0.999] {
            guard case .retry(let due, _) = AttemptPlan.settlement(for: outcome, attempt: 2, maximumAttempts: 5, policy: policy,
                                                                    now: Self.now, jitterUnit: unit) else { Issue.record("not a retry"); return }
            #expect(due <= Self.now + 2 * Self.second && due >= Self.now + 2 * Self.second * 8 / 10)
        }
    }
}
