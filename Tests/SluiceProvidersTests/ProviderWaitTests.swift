import Testing
@testable import SluiceProviders

/// The most precise wait an answer gives (`ProviderWait`): every header
/// family, which one wins, and what a hostile server cannot do.
@Suite struct ProviderWaitTests {
    static let ms: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000
    /// Sun, 06 Nov 1994 08:49:37 GMT
    static let wallNow = 784_111_777

    func wait(_ headers: [String: String]) -> ProviderWait? {
        ProviderWait.read(ProviderResponse(status: 429, headers: headers, body: []), wallClockNow: Self.wallNow)
    }

    @Test(arguments: [
        // Milliseconds, the finest: whole, fractional, zero, padded, the x- form.
        (["retry-after-ms": "1500"], 1_500 * ms, "retry-after-ms"),
        (["Retry-After-Ms": "1.5"], 1_500_000, "retry-after-ms"),
        (["retry-after-ms": "0"], 0, "retry-after-ms"),
        (["retry-after-ms": " 250 "], 250 * ms, "retry-after-ms"),
        (["x-retry-after-ms": "20"], 20 * ms, "x-retry-after-ms"),
        (["retry-after-ms": "0.0000001"], 1, "retry-after-ms"), // finer than a nanosecond: up, never early
        // Milliseconds win over every other figure.
        (["retry-after-ms": "1200", "retry-after": "2", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "3s"],
         1_200 * ms, "retry-after-ms"),
        (["retry-after-ms": "1200", "x-retry-after-ms": "900"], 1_200 * ms, "retry-after-ms"),
        // OpenAI's resets, for the budget that is spent; the latest when both are.
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s", "retry-after": "2"], 1_500 * ms, "x-ratelimit-reset-requests"),
        (["x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "20ms",
          "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"], 360 * second, "x-ratelimit-reset-tokens"),
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20ms",
          "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1h2m3.5s"], 3_723_500 * ms, "x-ratelimit-reset-tokens"),
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "0"], 0, "x-ratelimit-reset-requests"),
        // A budget that is not spent says nothing about when to come back: Retry-After does.
        (["x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "20ms", "retry-after": "1"], second, "retry-after"),
        // IETF, newest draft: the spent policy's t; the latest of several spent.
        (["RateLimit": #""default";r=0;t=3"#], 3 * second, "ratelimit"),
        (["RateLimit": #""burst";r=5;t=1, "daily";r=0;t=3600"#, "Retry-After": "1"], 3_600 * second, "ratelimit"),
        (["RateLimit": #""a";r=0;t=2, "b";r=0;t=7"#], 7 * second, "ratelimit"),
        (["RateLimit": #"default;r=0;t=1.25"#], 1_250 * ms, "ratelimit"), // a token name, a decimal t
        // IETF, drafts 06–07 (one dictionary) and up to 05 (separate fields).
        (["RateLimit": "limit=100, remaining=0, reset=3"], 3 * second, "ratelimit"),
        (["RateLimit-Remaining": "0", "RateLimit-Reset": "3", "RateLimit-Limit": "10"], 3 * second, "ratelimit-reset"),
        // IETF wins over Retry-After, OpenAI's resets over IETF.
        (["RateLimit-Remaining": "0", "RateLimit-Reset": "2", "Retry-After": "5"], 2 * second, "ratelimit-reset"),
        (["RateLimit-Remaining": "0", "RateLimit-Reset": "2", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "750ms"],
         750 * ms, "x-ratelimit-reset-requests"),
        // Retry-After: seconds, a decimal, a date.
        (["Retry-After": "2"], 2 * second, "retry-after"),
        (["Retry-After": "1.5"], 1_500 * ms, "retry-after"),
        (["Retry-After": "Sun, 06 Nov 1994 08:49:47 GMT"], 10 * second, "retry-after"),
        // GitHub and SendGrid: the reset (Unix seconds) of a spent budget, after Retry-After.
        (["x-ratelimit-remaining": "0", "x-ratelimit-reset": "784111807"], 30 * second, "x-ratelimit-reset"),
        (["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "784111807", "Retry-After": "4"], 4 * second, "retry-after"),
        (["x-ratelimit-remaining": "0", "x-ratelimit-reset": "784111700"], 0, "x-ratelimit-reset"), // already past
        (["x-ratelimit-remaining": "0", "x-ratelimit-reset": "12"], 12 * second, "x-ratelimit-reset"), // too small for a date: seconds
    ] as [([String: String], UInt64, String)])
    func wait_isTheFinestFigureGiven(_ headers: [String: String], _ nanoseconds: UInt64, _ header: String) {
        #expect(wait(headers) == ProviderWait(nanoseconds: nanoseconds, header: header))
    }

    @Test(arguments: [
        // Hostile or broken values are skipped for the next header, never trusted, never a trap.
        (["retry-after-ms": "-5", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "NaN", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "inf", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "1e3", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "0x10", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "1,500", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "1500\r\n", "retry-after": "1"], second, "retry-after"),
        (["retry-after-ms": "１５００", "retry-after": "1"], second, "retry-after"), // fullwidth digits
        (["retry-after-ms": String(repeating: "9", count: 65), "retry-after": "1"], second, "retry-after"), // overlong
        (["retry-after-ms": "", "retry-after": "1"], second, "retry-after"),
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "-1s", "retry-after": "1"], second, "retry-after"),
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "soon", "retry-after": "1"], second, "retry-after"),
        // Found by the `provider-wait` fuzz target: a padded unit alone trapped (a slice indexed from 0;
        // the worker's header reader trims values, so only other callers could meet it).
        (["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "  s   ", "retry-after": "1"], second, "retry-after"),
        (["x-ratelimit-remaining-requests": "-1", "x-ratelimit-reset-requests": "1s", "retry-after": "1"], second, "retry-after"),
        (["RateLimit": #""default";r=0;t=-3"#, "retry-after": "1"], second, "retry-after"),
        (["RateLimit": #""default;r=0;t=3"#, "retry-after": "1"], second, "retry-after"), // unterminated string
        (["RateLimit": #""default";t=3"#, "retry-after": "1"], second, "retry-after"), // no remaining: not a budget
        (["RateLimit": String(repeating: #""p";r=0;t=1, "#, count: 17) + #""p";r=0;t=1"#, "retry-after": "1"], second, "retry-after"),
        (["RateLimit-Reset": "3", "retry-after": "1"], second, "retry-after"), // a reset without remaining
    ] as [([String: String], UInt64, String)])
    func wait_skipsWhatDoesNotRead(_ headers: [String: String], _ nanoseconds: UInt64, _ header: String) {
        #expect(wait(headers) == ProviderWait(nanoseconds: nanoseconds, header: header))
    }

    @Test(arguments: [
        ["retry-after-ms": "99999999999999999999999"],
        ["retry-after-ms": "18446744073709551616.5"],
        ["x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "9999999999h"],
        ["x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "99999999999999999999999s"],
        ["RateLimit": #""default";r=0;t=99999999999999999999"#],
        ["Retry-After": "99999999999999999999.9"],
        ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999999"],
    ])
    func hugeWaits_saturate_andClassifyingBoundsThemToADay(_ headers: [String: String]) {
        let day = StatusRules.longestServerDelay
        let read = wait(headers)
        #expect((read?.nanoseconds ?? 0) >= day)
        let answer = StatusRules.classify(ProviderResponse(status: 429, headers: headers, body: []), retryBound: 600 * Self.second,
                                          wallClockNow: Self.wallNow)
        #expect(answer.outcome == .retry(delay: day, reason: "HTTP 429", spendsAttempt: true) && answer.pushBack == day)
    }

    /// Numbers at their limits (REVIEW.md): exact up to `UInt64.max`, saturating past it, never through `Double`.
    @Test(arguments: [
        ("18446744073709551615", 1 as UInt64, UInt64.max as UInt64?),       // 2^64 − 1
        ("18446744073709551616", 1, .max),                                   // 2^64: saturates
        ("9007199254740993", 1, 9_007_199_254_740_993),                     // 2^53 + 1: a Double would say …992
        ("9223372036854775807", 1, 9_223_372_036_854_775_807),              // 2^63 − 1
        ("18446744073.709551615", 1_000_000_000, .max),                      // exactly 2^64 − 1 ns
        ("18446744073.709551616", 1_000_000_000, .max),                      // one more: saturates
        ("18446744073709", 1_000_000, 18_446_744_073_709_000_000),          // the most whole milliseconds
        ("0.000000001", 1_000_000_000, 1), ("0.0000000001", 1_000_000_000, 1), // 1 ns; finer rounds up
        ("0", 1_000_000_000, 0), ("000", 1_000_000, 0), ("0.0", 1_000_000, 0),
        ("1e400", 1, nil), ("-0", 1, nil), ("+1", 1, nil), ("1_000", 1, nil), ("1..5", 1, nil), ("1.5.2", 1, nil),
        ("", 1, nil), (" ", 1, nil), ("\u{0}1", 1, nil), ("1\u{0}", 1, nil), ("\u{663}", 1, nil), // Arabic-Indic three
    ] as [(String, UInt64, UInt64?)])
    func headerNumbers_atTheirLimits(_ text: String, _ unit: UInt64, _ expected: UInt64?) {
        #expect(HeaderNumber.scaled(text, unit: unit) == expected)
        if unit == 1, !text.contains(".") { #expect(HeaderNumber.whole(text) == expected) }
    }

    @Test(arguments: [
        [String: String](), ["retry-after": "soon"], ["x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "1s"],
        ["x-ratelimit-remaining": "10", "x-ratelimit-reset": "784111807"], ["RateLimit": #""default";r=4;t=3"#],
    ])
    func noWait_whenNoHeaderSaysOne(_ headers: [String: String]) {
        #expect(wait(headers) == nil)
    }

    @Test func tooManyRequests_withAMillisecondWait_isFreeAndHoldsTheQueueExactlyThatLong() {
        let answer = StatusRules.classify(ProviderResponse(status: 429, headers: ["retry-after-ms": "1180", "retry-after": "2"], body: []),
                                          retryBound: 600 * Self.second, wallClockNow: Self.wallNow)
        #expect(answer.outcome == .retry(delay: 1_180 * Self.ms, reason: "HTTP 429", spendsAttempt: false))
        #expect(answer.pushBack == 1_180 * Self.ms && answer.wait?.header == "retry-after-ms")
    }

    @Test func serviceUnavailable_usesTheFinestWaitForTheTaskOnly() {
        let answer = StatusRules.classify(ProviderResponse(status: 503, headers: ["RateLimit": #""default";r=0;t=0.5"#], body: []),
                                          retryBound: 600 * Self.second, wallClockNow: Self.wallNow)
        #expect(answer.outcome == .retry(delay: 500 * Self.ms, reason: "HTTP 503", spendsAttempt: true) && answer.pushBack == nil)
    }

    @Test func aConfiguredBudget_givesTheWaitOfAnHTTPQueue() {
        let provider = HTTPProvider(baseURL: "https://api.example.com",
                                    budgetHeaders: .init(remaining: "X-Quota-Left", reset: "X-Quota-Reset-Ms", resetFormat: .milliseconds))
        let answer = provider.classify(ProviderResponse(status: 429, headers: ["X-Quota-Left": "0", "X-Quota-Reset-Ms": "450"], body: []),
                                       retryBound: 600 * Self.second, wallClockNow: Self.wallNow)
        #expect(answer.outcome == .retry(delay: 450 * Self.ms, reason: "HTTP 429", spendsAttempt: false))
        #expect(answer.wait == ProviderWait(nanoseconds: 450 * Self.ms, header: "x-quota-reset-ms"))
    }
}
