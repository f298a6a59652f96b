import Foundation
import Glibc
import SluiceCore
import SluiceJSON
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
        #expect(inForce < 20 && inForce > 19.5, "in force \(inForce)/s")
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
        #expect((taught.double(at: "learntShare") ?? 1) < 0.9, "\(taught)")
        #expect((taught.double(at: "inForcePerSecond") ?? 20) < 18, "85% of 20/s: \(taught)")
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
