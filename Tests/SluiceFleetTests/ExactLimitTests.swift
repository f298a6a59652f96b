import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluiceLimiter
import SluicePOSIX
import SluiceTestSupport
import Testing

/// A queue configured at exactly the provider's published number (burst 1)
/// against the sandbox's sliding window of that number: no window over, no
/// 429, and the rate achieved close to the number. Judged at the provider,
/// from the sandbox's recorded arrivals (stamped by the kernel on arrival).
@Suite(.serialized) struct ExactLimitTests {
    static let second: UInt64 = 1_000_000_000

    static func queue(rate: String, processes: Int) -> String {
        #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "\#(rate)", "processes": \#(processes), "maxConcurrentPerWorker": 8}}"#
    }

    /// Drains `tasks` at `rate` against the sandbox's `limit`; returns the
    /// arrivals and the 429s.
    static func drain(rate: String, limit: String, processes: Int, tasks: Int, seconds: Double) throws -> (SandboxArrivals, Int, JSONObject) {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "\#(limit)"}}"#)
        try fixture.configure(queues: queue(rate: rate, processes: processes))
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(tasks))
        try fixture.startFleet()
        let drained = fixture.waitUntilDrained(["stripe-api"], seconds: seconds)
        let describe = try fixture.api("GET", "/v1/queues/stripe-api")
        _ = try fixture.stopFleet()
        #expect(drained, "\(tasks) tasks at \(rate) not drained in \(seconds) s")
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let refused = number(try fixture.stats(), "endpoints", "stripe.payment_intents", "rateLimited")
        guard case .object(let document) = try JSONParser.parse(describe.body) else { throw FixtureError("describe: \(describe.body)") }
        return (arrivals, refused, document)
    }

    /// Requests per second from the first arrival to the last.
    static func achieved(_ arrivals: SandboxArrivals) -> Double {
        guard let first = arrivals.instants.min(), let last = arrivals.instants.max(), last > first else { return 0 }
        return Double(arrivals.instants.count - 1) * 1e9 / Double(last - first)
    }

    @Test(arguments: [4, 16])
    func twentyPerSecond_atTheProvidersTwenty(processes: Int) throws {
        let (arrivals, refused, describe) = try Self.drain(rate: "20/s", limit: "20/s", processes: processes, tasks: 200, seconds: 30)
        #expect(arrivals.busiestWindow(Self.second) <= 20, "the sandbox's own window: \(arrivals.busiestWindow(Self.second)) of 20")
        #expect(refused == 0, "\(refused) × 429")
        // What it achieves is a timing figure (`sluice bench schedule`
        // measures it: ≥ 99% is the target); here only that the guard and
        // the drops do not collapse the queue, even on a loaded machine,
        // where late requests are dropped more (17.9/s seen with 16
        // processes while three builds shared the two cores).
        #expect(Self.achieved(arrivals) >= 15, "achieved \(Self.achieved(arrivals))/s")
        #expect(describe.double(at: "rate", "perSecond") == 20, "the configured number is shown as configured")
        let inForce = describe.double(at: "rate", "inForcePerSecond") ?? 0
        #expect(inForce < 20 && inForce > 18.1, "in force \(inForce)/s: the configured 20/s less a guard of at most 100 ms per second")
    }

    @Test func onePointFivePerSecond_atThreePerTwoSeconds() throws {
        let (arrivals, refused, _) = try Self.drain(rate: "1.5/s", limit: "3/2s", processes: 4, tasks: 15, seconds: 30)
        #expect(arrivals.busiestWindow(2 * Self.second) <= 3, "\(arrivals.busiestWindow(2 * Self.second)) of 3 in 2 s")
        #expect(refused == 0, "\(refused) × 429")
    }

    @Test func hundredPerSecond_atTheProvidersHundred() throws {
        let (arrivals, refused, _) = try Self.drain(rate: "100/s", limit: "100/s", processes: 4, tasks: 600, seconds: 40)
        #expect(arrivals.busiestWindow(Self.second) <= 100, "\(arrivals.busiestWindow(Self.second)) of 100")
        #expect(refused == 0, "\(refused) × 429")
        #expect(Self.achieved(arrivals) >= 75, "achieved \(Self.achieved(arrivals))/s")
    }
}

/// Another client spends 30% of the provider's budget unseen: the queue,
/// configured at the full number, learns the rest from its 429s (AIMD)
/// instead of drawing one every second, and climbs back once it is alone.
@Suite struct SharedBudgetFleetTests {
    @Test func aBudgetSpentByAnotherClient_isLearnt_andGivenBackWhenItStops() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "20/s"}}"#)
        try fixture.configure(queues: ExactLimitTests.queue(rate: "20/s", processes: 4))
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(1000))
        try fixture.setFaults(#"{"sharedBudget": {"endpoint": "stripe.payment_intents", "share": 0.3}}"#)
        try fixture.startFleet()
        usleep(20_000_000)
        let shared = try Self.rate(fixture)
        let learnt = MonotonicClock.now()
        try fixture.setFaults("{}")
        usleep(15_000_000)
        let alone = try Self.rate(fixture)
        let end = MonotonicClock.now()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let stats = try fixture.stats()
        let refused = number(stats, "endpoints", "stripe.payment_intents", "rateLimited")
        let requests = arrivals.instants.count
        // Judged at the provider: what got through while shared, the 429s.
        let first = arrivals.instants.min() ?? learnt
        let sharedPace = Double(arrivals.count(from: first + 10 * ExactLimitTests.second, to: learnt, status: 200)) / Double(learnt - first - 10 * ExactLimitTests.second) * 1e9
        var perSecond: [String] = []
        var t = first
        while t < end {
            perSecond.append("\(arrivals.count(from: t, to: t + ExactLimitTests.second, status: 200))/\(arrivals.count(from: t, to: t + ExactLimitTests.second, status: 429))")
            t += ExactLimitTests.second
        }
        #expect(refused * 100 <= requests * 5, "\(refused) × 429 of \(requests) requests")
        #expect(sharedPace >= 10 && sharedPace <= 14.5, "with 30% of 20/s spent elsewhere: \(sharedPace)/s accepted; accepted/429 per second: \(perSecond.joined(separator: " "))")
        #expect((shared.double(at: "learntShare") ?? 1) < 0.95, "learnt while shared: \(shared)")
        #expect((alone.double(at: "learntShare") ?? 0) > (shared.double(at: "learntShare") ?? 1), "climbing back once alone: \(shared) → \(alone)")
        #expect(arrivals.count(from: learnt, to: end) > 0)
        _ = try fixture.stopFleet()
    }

    static func rate(_ fixture: FleetFixture) throws -> JSONObject {
        let answer = try fixture.api("GET", "/v1/queues/stripe-api")
        guard case .object(let document) = try JSONParser.parse(answer.body), case .object(let rate)? = document["rate"] else {
            throw FixtureError("describe: \(answer.body)")
        }
        return rate
    }
}

/// A provider that states its budget (SendGrid's `X-RateLimit-*`) while an
/// unseen client spends half of it, with requests in flight (300 ms
/// answers): when what is left is no more than the requests already on the
/// wire, the queue holds until the budget refills. Waiting for the budget to
/// read 0, a dozen requests were already on the wire: each a 429, window
/// after window.
@Suite struct BudgetLearningFleetTests {
    static let mail = #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hello"}]}}"#

    @Test func aBudgetNoLargerThanWhatIsOnTheWire_holdsTheQueueBeforeItsFourTwentyNines() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"sendgrid.requests": "200/10s"}}"#)
        try fixture.configure(queues: #"{"sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "20/s", "processes": 4, "maxConcurrentPerWorker": 8}}"#)
        try fixture.enqueue("sendgrid-api", (0..<1000).map { _ in Self.mail })
        try fixture.setFaults(#"{"latency": "300ms", "sharedBudget": {"endpoint": "sendgrid.mail_send", "share": 0.5}}"#)
        try fixture.startFleet()
        usleep(25_000_000)
        let answer = try fixture.api("GET", "/v1/queues/sendgrid-api")
        let arrivals = try fixture.arrivals("sendgrid.mail_send")
        _ = try fixture.stopFleet()
        let refused = arrivals.statuses.filter { $0 == 429 }.count
        let accepted = arrivals.statuses.filter { $0 == 202 }.count
        var perSecond: [String] = []
        if let first = arrivals.instants.first {
            for second in 0..<26 {
                let from = first + UInt64(second) * 1_000_000_000
                perSecond.append("\(arrivals.count(from: from, to: from + 1_000_000_000, status: 202))/\(arrivals.count(from: from, to: from + 1_000_000_000, status: 429))")
            }
        }
        // 18 × 429 before the hold; after it 2 on a quiet machine, up to 5
        // while builds shared the two cores (the unseen client spends what
        // our estimate of the wire leaves).
        #expect(refused <= 8, "\(refused) × 429 of \(arrivals.instants.count) (accepted/429 per second: \(perSecond.joined(separator: " "))); describe: \(String(decoding: answer.body, as: UTF8.self))")
        // What was left: 100 per 10 s, plus the first window's head start.
        #expect(accepted >= 200, "\(accepted) accepted")
    }

    static let completion = #"{"kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":200}}"#

    /// The same for a budget of tokens (OpenAI's `x-ratelimit-remaining-tokens`):
    /// the queue's weighted `tokens` limit is the provider's number, another
    /// client spends half of it, and answers take 300 ms. What is left is
    /// spoken for when it is no more than the tokens the fleet starts while an
    /// answer travels back (at the weighted limit's pace) and one request more.
    @Test func aTokenBudgetNoLargerThanWhatIsOnTheWire_holdsTheQueueBeforeItsFourTwentyNines() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"openai.requests": "10000/min", "openai.tokens": "40000/10s"}}"#)
        try fixture.configure(queues: #"{"openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "100/s", "weighted": [{"name": "tokens", "rate": "4000/s", "burst": 400}], "processes": 4, "maxConcurrentPerWorker": 8}}"#)
        try fixture.enqueue("openai-api", (0..<1000).map { _ in Self.completion })
        try fixture.setFaults(#"{"latency": "300ms", "sharedBudget": {"endpoint": "openai.chat_completions", "share": 0.5}}"#)
        try fixture.startFleet()
        usleep(25_000_000)
        let arrivals = try fixture.arrivals("openai.chat_completions")
        let log = fixture.fleetLog.filter { $0.contains("queue.pushed_back") && $0.contains("budget") }
        _ = try fixture.stopFleet()
        let refused = arrivals.statuses.filter { $0 == 429 }.count
        let accepted = arrivals.statuses.filter { $0 == 200 }.count
        #expect(!log.isEmpty, "no hold for the token budget")
        #expect(refused <= 8, "\(refused) × 429 of \(arrivals.instants.count); holds: \(log.prefix(3))")
        // What was left: 20,000 tokens per 10 s (~98 requests of 203), plus the first window's head start.
        #expect(accepted >= 200, "\(accepted) accepted")
    }
}

/// What a 429 teaches is visible fleet-wide, and an operator's set-rate
/// starts the learning again.
@Suite struct RateLearningFleetTests {
    @Test func aFourTwentyNine_lowersTheRateInForce_andSetRateResetsIt() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: ExactLimitTests.queue(rate: "20/s", processes: 2))
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(400))
        try fixture.startFleet()
        usleep(1_000_000)
        try fixture.setFaults(#"{"force429": [{"endpoint": "stripe.payment_intents", "count": 1, "retryAfter": 1}]}"#)
        func rate() throws -> JSONObject {
            let answer = try fixture.api("GET", "/v1/queues/stripe-api")
            guard case .object(let document) = try JSONParser.parse(answer.body), case .object(let rate)? = document["rate"] else {
                throw FixtureError("describe: \(answer.body)")
            }
            return rate
        }
        var taught = try rate()
        for _ in 0..<40 where (taught.integer(at: ["decreases"]) ?? 0) == 0 {
            usleep(100_000)
            taught = try rate()
        }
        #expect(taught.integer(at: ["decreases"]) == 1, "\(taught)")
        #expect((taught.double(at: "learntShare") ?? 1) <= RateLearner.decrease + 0.001, "\(taught)")
        #expect((taught.double(at: "inForcePerSecond") ?? 20) <= 18, "90% of 20/s, less the guard: \(taught)")
        #expect(taught.double(at: "perSecond") == 20, "the configured number is unchanged: \(taught)")
        let metrics = String(decoding: try fixture.api("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"sluice_rate_limit_decreases{queue="stripe-api"} 1"#), "\(metrics.prefix(200))")
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "25/s"}"#).status == 200)
        let reset = try rate()
        #expect(reset.integer(at: ["decreases"]) == 0 && reset.double(at: "learntShare") == 1, "\(reset)")
        #expect((reset.double(at: "inForcePerSecond") ?? 0) > 24.5, "\(reset)")
        _ = try fixture.stopFleet()
    }
}
