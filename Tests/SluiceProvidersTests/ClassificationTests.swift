import Testing
@testable import SluiceProviders

@Suite struct ClassificationTests {
    static let second: UInt64 = 1_000_000_000
    static let bound: UInt64 = 600 * second
    /// Sun, 06 Nov 1994 08:49:37 GMT
    static let wallNow = 784_111_777

    func classify(_ status: Int, _ headers: [String: String] = [:], body: String = "") -> Classification {
        StatusRules.classify(ProviderResponse(status: status, headers: headers, body: Array(body.utf8)), retryBound: Self.bound, wallClockNow: Self.wallNow)
    }

    @Test(arguments: [200, 201, 202, 204])
    func success_is2xx(_ status: Int) { #expect(classify(status).outcome == .success) }

    @Test(arguments: [408, 409, 425, 500, 502, 503, 504])
    func retryable_spendAnAttempt(_ status: Int) {
        #expect(classify(status).outcome == .retry(delay: nil, reason: "HTTP \(status)", spendsAttempt: true))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 410, 413, 422, 501])
    func otherStatuses_fail(_ status: Int) {
        guard case .fail = classify(status, body: "bad").outcome else { Issue.record("\(status) should fail"); return }
    }

    @Test func tooManyRequests_withRetryAfter_isFreeAndPushesTheQueueBack() {
        let answer = classify(429, ["Retry-After": "2"])
        #expect(answer.outcome == .retry(delay: 2 * Self.second, reason: "HTTP 429", spendsAttempt: false))
        #expect(answer.pushBack == 2 * Self.second)
    }

    @Test func tooManyRequests_beyondTheBoundOrWithoutRetryAfter_spendsAnAttempt() {
        #expect(classify(429, ["Retry-After": "3600"]).outcome == .retry(delay: 3600 * Self.second, reason: "HTTP 429", spendsAttempt: true))
        let unexplained = classify(429)
        #expect(unexplained.outcome == .retry(delay: nil, reason: "HTTP 429", spendsAttempt: true) && unexplained.pushBack == Self.second)
    }

    @Test func retryAfter_asHTTPDate_isRelativeToTheWallClock() {
        #expect(classify(503, ["retry-after": "Sun, 06 Nov 1994 08:49:47 GMT"]).outcome
                == .retry(delay: 10 * Self.second, reason: "HTTP 503", spendsAttempt: true))
    }

    @Test(arguments: [
        ("0", 0 as UInt64?), ("120", 120_000_000_000), (" 5 ", 5_000_000_000),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0), ("Sun, 06 Nov 1994 08:50:37 GMT", 60_000_000_000),
        ("Sun, 06 Nov 1994 08:48:37 GMT", 0), // in the past: now
        ("-1", nil), ("1.5", 1_500_000_000), ("0.001", 1_000_000), ("1.", nil), (".5", nil), ("1e3", nil),
        ("soon", nil), ("", nil), ("Sunday, 06-Nov-94 08:49:37 GMT", nil),
        ("Sun, 06 Nov 1994 25:49:37 GMT", nil), ("99999999999999999999", .max), // saturates: the server asked for very long
        // Found by the `retry-after` fuzz target: both trapped (64-bit nanoseconds overflowed).
        ("99999999999", .max), ("Sun, 06 Nov 3988 08:49:37 GMT", .max),
    ])
    func retryAfter_parsesSecondsAndDates(_ text: String, _ expected: UInt64?) {
        #expect(RetryAfter.delay(text, wallClockNow: Self.wallNow) == expected)
    }

    /// Found by the `retry-after` fuzz target: a huge Retry-After or reset
    /// trapped the worker (in the parser, or later at `now + pushBack`).
    @Test func serverDelays_areBoundedByTheLongestServerDelay() {
        let day = StatusRules.longestServerDelay
        let told = classify(429, ["Retry-After": "99999999999"])
        #expect(told.outcome == .retry(delay: day, reason: "HTTP 429", spendsAttempt: true) && told.pushBack == day)
        #expect(classify(503, ["Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"]).outcome
                == .retry(delay: day, reason: "HTTP 503", spendsAttempt: true))
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let exhausted = openai.classify(ProviderResponse(
            status: 200, headers: ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "5124095h"], body: []
        ), retryBound: Self.bound, wallClockNow: 0)
        #expect(exhausted.pushBack == day)
    }

    @Test func stripeShouldRetry_overridesTheStatus() {
        let stripe = StripeProvider(baseURL: "https://api.stripe.com")
        let noRetry = stripe.classify(ProviderResponse(status: 503, headers: ["Stripe-Should-Retry": "false"], body: []), retryBound: Self.bound, wallClockNow: 0)
        #expect(noRetry.outcome == .fail(reason: "HTTP 503 (Stripe-Should-Retry: false)"))
        let retry = stripe.classify(ProviderResponse(status: 400, headers: ["Stripe-Should-Retry": "true"], body: []), retryBound: Self.bound, wallClockNow: 0)
        #expect(retry.outcome == .retry(delay: nil, reason: "HTTP 400 (Stripe-Should-Retry: true)", spendsAttempt: true))
    }

    @Test func openai_reconcilesUsageAndHonoursExhaustedBudgets() {
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let answer = openai.classify(ProviderResponse(
            status: 200,
            headers: ["x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-remaining-requests": "3"],
            body: Array(#"{"id":"c","usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#.utf8)
        ), retryBound: Self.bound, wallClockNow: 0)
        #expect(answer.outcome == .success && answer.costUsed == 12 && answer.pushBack == 360 * Self.second)
    }
}
