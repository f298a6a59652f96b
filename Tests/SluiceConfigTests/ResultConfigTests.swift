import Testing
@testable import SluiceConfig
import SluiceSpool

/// `resultRetention` (fleet-wide, per queue), `resultMaxBytes`, `resultHeaders`.
@Suite struct ResultConfigTests {
    func parse(_ text: String) throws(ConfigError) -> FleetConfig { try FleetConfig.parse(Array(text.utf8)) }

    @Test func defaults_keepADayOfAnswers_upTo1MiB_withTheProvidersIDs() throws {
        let config = try parse(#"{"queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#)
        #expect(config.resultRetention == 24 * 3600 * 1_000_000_000)
        let queue = try #require(config.queue("q"))
        #expect(queue.resultRetention == nil && queue.resultMaxBytes == 1 << 20)
        #expect(queue.resultHeaders == ["content-type", "request-id", "x-request-id", "x-message-id", "twilio-request-id"])
    }

    @Test func aQueuesRetention_overridesTheFleets_andHeadersAreLowercasedOnce() throws {
        let config = try parse("""
            {"resultRetention": "1h", "doneRetention": "10m",
             "queues": {"a": {"provider": "stripe", "rate": "1/s", "resultRetention": "0s", "resultMaxBytes": 0,
                              "resultHeaders": ["Request-Id", "request-id", "Stripe-Version"]},
                        "b": {"provider": "stripe", "rate": "1/s"}}}
            """)
        #expect(config.resultRetention == 3_600_000_000_000)
        let a = try #require(config.queue("a")), b = try #require(config.queue("b"))
        #expect(a.resultRetention == 0 && a.resultMaxBytes == 0 && a.resultHeaders == ["request-id", "stripe-version"])
        #expect(b.resultRetention == nil)
    }

    @Test(arguments: [
        (#"{"resultRetention": "1 day", "queues": {"q": {"provider": "stripe", "rate": "1/s"}}}"#,
         #"config: resultRetention: "1 day" is not a duration; write e.g. "30s", "10m", "1m30s" or "250ms""#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultRetention": 60}}}"#,
         "config: queues.q.resultRetention: must be a string, not a number"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultMaxBytes": 4194305}}}"#,
         "config: queues.q.resultMaxBytes: 4194305 is not in 0…4194304"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultMaxBytes": "1MiB"}}}"#,
         "config: queues.q.resultMaxBytes: must be a whole number, not a string"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultHeaders": "request-id"}}}"#,
         "config: queues.q.resultHeaders: must be an array, not a string"),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultHeaders": ["x id"]}}}"#,
         #"config: queues.q.resultHeaders[0]: must be a header name like "x-request-id" (letters, digits and "-")"#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultHeaders": ["request-id", "Authorization"]}}}"#,
         #"config: queues.q.resultHeaders[1]: "Authorization" carries credentials or session state and is never kept; remove it"#),
        (#"{"queues": {"q": {"provider": "stripe", "rate": "1/s", "resultHeaders": ["Set-Cookie"]}}}"#,
         #"config: queues.q.resultHeaders[0]: "Set-Cookie" carries credentials or session state and is never kept; remove it"#),
    ])
    func badResultSettings_areRefusedNamingTheField(_ text: String, _ expected: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }
}
