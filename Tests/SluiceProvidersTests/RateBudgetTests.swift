import SluiceConfig
import Testing
@testable import SluiceProviders

/// What an answer says is left of the provider's limit (`RateBudget`), per
/// header family, and what hostile values become.
@Suite struct RateBudgetTests {
    static let ms: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000
    static let wallNow = 1_767_225_600 // 2026-01-01T00:00:00Z

    func budgets(_ headers: [String: String], configured: BudgetHeaders? = nil, status: Int = 200) -> [RateBudget] {
        RateBudget.read(ProviderResponse(status: status, headers: headers, body: []), configured: configured, wallClockNow: Self.wallNow)
    }

    @Test(arguments: [
        // OpenAI: requests and tokens, resets as Go durations.
        (["x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s",
          "x-ratelimit-limit-tokens": "90000", "x-ratelimit-remaining-tokens": "89977", "x-ratelimit-reset-tokens": "15ms"],
         [RateBudget(family: .openAI, name: "requests", remaining: 59, limit: 60, resetIn: second, resetHeader: "x-ratelimit-reset-requests"),
          RateBudget(family: .openAI, name: "tokens", remaining: 89_977, limit: 90_000, resetIn: 15 * ms, resetHeader: "x-ratelimit-reset-tokens")]),
        // GitHub: Unix-time reset.
        (["x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1767229200", "x-ratelimit-used": "1"],
         [RateBudget(family: .xRateLimit, remaining: 4_999, limit: 5_000, resetIn: 3_600 * second, resetHeader: "x-ratelimit-reset")]),
        // SendGrid: the same names, capitalised.
        (["X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1767225660"],
         [RateBudget(family: .xRateLimit, remaining: 0, limit: 600, resetIn: 60 * second, resetHeader: "x-ratelimit-reset")]),
        // IETF, newest draft: named policies, the quota from RateLimit-Policy.
        (["RateLimit": #""burst";r=40;t=2, "daily";r=900;t=3600"#, "RateLimit-Policy": #""burst";q=100;w=10, "daily";q=1000;w=86400"#],
         [RateBudget(family: .ietf, name: "burst", remaining: 40, limit: 100, resetIn: 2 * second, resetHeader: "ratelimit"),
          RateBudget(family: .ietf, name: "daily", remaining: 900, limit: 1_000, resetIn: 3_600 * second, resetHeader: "ratelimit")]),
        // IETF, drafts 06–07 and before.
        (["RateLimit": "limit=100, remaining=7, reset=3"],
         [RateBudget(family: .ietf, remaining: 7, limit: 100, resetIn: 3 * second, resetHeader: "ratelimit")]),
        (["RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "0.5"],
         [RateBudget(family: .ietf, remaining: 3, limit: 10, resetIn: 500 * ms, resetHeader: "ratelimit-reset")]),
        // Remaining alone is a budget; nothing else without it is.
        (["x-ratelimit-remaining": "4"], [RateBudget(family: .xRateLimit, remaining: 4)]),
        (["x-ratelimit-limit": "4", "x-ratelimit-reset": "1767225660"], []),
        // Hostile values: a bad remaining is no budget; a bad limit or reset is unknown; huge ones saturate.
        (["x-ratelimit-remaining": "-1", "x-ratelimit-limit": "10"], []),
        (["x-ratelimit-remaining": "NaN"], []),
        (["x-ratelimit-remaining": "1.5"], []),
        (["x-ratelimit-remaining": String(repeating: "1", count: 65)], []),
        (["x-ratelimit-remaining": "99999999999999999999999", "x-ratelimit-limit": "garbage", "x-ratelimit-reset": "-5"],
         [RateBudget(family: .xRateLimit, remaining: .max)]),
        (["x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999999"],
         [RateBudget(family: .xRateLimit, remaining: 0, resetIn: StatusRules.longestServerDelay, resetHeader: "x-ratelimit-reset")]),
        (["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225000"], // already past
         [RateBudget(family: .xRateLimit, remaining: 0, resetIn: 0, resetHeader: "x-ratelimit-reset")]),
        (["RateLimit": #""default";r=1;t=NaN"#], [RateBudget(family: .ietf, name: "default", remaining: 1)]),
        (["RateLimit": #""unterminated;r=1"#], []),
    ] as [([String: String], [RateBudget])])
    func budgets_areReadFromEveryKnownFamily(_ headers: [String: String], _ expected: [RateBudget]) {
        #expect(budgets(headers) == expected)
    }

    @Test(arguments: [
        (BudgetHeaders.ResetFormat.seconds, "2.5", 2_500 * ms),
        (.milliseconds, "250", 250 * ms),
        (.epoch, "1767225630", 30 * second),
        (.duration, "1m30s", 90 * second),
    ])
    func configuredNames_replaceTheKnownFamilies(_ format: BudgetHeaders.ResetFormat, _ reset: String, _ nanoseconds: UInt64) {
        let names = BudgetHeaders(remaining: "X-Quota-Left", limit: "X-Quota", reset: "X-Quota-Reset", resetFormat: format)
        let read = budgets(["x-quota-left": "12", "X-Quota": "50", "X-Quota-Reset": reset, "x-ratelimit-remaining": "3"], configured: names)
        #expect(read == [RateBudget(family: .configured, remaining: 12, limit: 50, resetIn: nanoseconds, resetHeader: "x-quota-reset")])
    }

    @Test func anHTTPQueuesConfiguredNames_reachItsProvider() throws {
        let config = try FleetConfig.parse(Array(#"""
            {"queues": {"hooks": {"provider": "http", "baseURL": "https://api.example.com", "rate": "10/s",
                                  "budgetHeaders": {"remaining": "X-Quota-Left", "reset": "X-Quota-Reset", "resetFormat": "milliseconds"}}}}
            """#.utf8))
        let provider = Providers.make(for: try #require(config.queue("hooks")))
        let answer = provider.classify(ProviderResponse(status: 200, headers: ["X-Quota-Left": "4", "X-Quota-Reset": "250", "x-ratelimit-remaining": "9"], body: []),
                                       retryBound: 0, wallClockNow: Self.wallNow)
        #expect(answer.budgets == [RateBudget(family: .configured, remaining: 4, resetIn: 250 * Self.ms, resetHeader: "x-quota-reset")])
    }

    @Test func configuredNames_withoutRemainingInTheAnswer_giveNoBudget() {
        #expect(budgets(["x-ratelimit-remaining": "3"], configured: BudgetHeaders(remaining: "X-Left")).isEmpty)
    }

    @Test func everyClassification_carriesTheBudgets_successesIncluded() {
        let headers = ["x-ratelimit-remaining": "17", "x-ratelimit-limit": "20"]
        for status in [200, 429, 503, 404] {
            let answer = StatusRules.classify(ProviderResponse(status: status, headers: headers, body: []), retryBound: 0, wallClockNow: Self.wallNow)
            #expect(answer.budgets == [RateBudget(family: .xRateLimit, remaining: 17, limit: 20)], "status \(status)")
        }
    }

    @Test func openAI_spentBudgetOnASuccess_holdsTheQueueUntilItsPreciseReset() {
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let answer = openai.classify(ProviderResponse(
            status: 200, headers: ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.25s"], body: []
        ), retryBound: 0, wallClockNow: Self.wallNow)
        #expect(answer.outcome == .success && answer.pushBack == 1_250 * Self.ms)
        #expect(answer.wait == ProviderWait(nanoseconds: 1_250 * Self.ms, header: "x-ratelimit-reset-requests"))
    }
}
