import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The schedule when something changes (a rate, the process count, a
/// restart, kills, thousands of keys): capacity booked ahead is never
/// stranded for long, and no window goes over. Judged at the provider, from
/// the sandbox's recorded arrivals.
@Suite(.serialized) struct ScheduleUnderChangeTests {
    static let second: UInt64 = 1_000_000_000

    static func messages(_ count: Int, numbers: Int, prefix: String = "sms") -> [String] {
        (0..<count).map { #"{"id":"\#(prefix)-\#($0)","kind":"send_sms","payload":{"To":"+15550100","From":"+1555\#(String(format: "%07d", $0 % numbers))","Body":"hi"}}"# }
    }

    /// Stripe at 50/s (the sandbox allows 100/s), 4 workers of 8: a booking
    /// horizon of 200 ms.
    static let stripe = """
        {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 4, "maxConcurrentPerWorker": 8}}
        """
    static let horizon: UInt64 = 200_000_000

    /// Arrivals per second over [from, from + seconds).
    static func rate(_ arrivals: SandboxArrivals, from: UInt64, seconds: UInt64) -> Double {
        Double(arrivals.count(from: from, to: from + seconds * second)) / Double(seconds)
    }

    static func sleep(seconds: Double) { usleep(UInt32(seconds * 1e6)) }

    @Test func setRateDownThenUp_theRateInForceIsWhatTheProviderSeesWithinTheHorizon() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: Self.stripe)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(1000))
        try fixture.startFleet()
        Self.sleep(seconds: 2)
        let down = MonotonicClock.now()
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "1/s"}"#).status == 200)
        Self.sleep(seconds: 3)
        let up = MonotonicClock.now()
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "50/s"}"#).status == 200)
        Self.sleep(seconds: 4)
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let slow = arrivals.count(from: down + Self.horizon, to: up)
        #expect(slow <= 4, "at 1/s for 3 s: \(slow) arrivals (burst 1, plus one already on the wire)")
        let restored = Self.rate(arrivals, from: up + Self.horizon + Self.second, seconds: 2)
        #expect(restored >= 45, "50/s again within the horizon + 1 s: \(restored)/s")
        #expect(arrivals.busiestWindow(Self.second) <= 100, "no second over the provider's 100")
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "rateLimited") == 0)
    }

    /// A slow queue with many waiting attempts: what booking far ahead
    /// strands is largest here (32 attempts at 5/s once booked 6.4 s ahead).
    /// Its horizon: 8 in flight × 200 ms = 1.6 s.
    static let slow = """
        {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "5/s", "processes": 4, "maxConcurrentPerWorker": 8}}
        """
    static let slowHorizon: UInt64 = 1_600_000_000

    @Test func scaleDownFromEightToOne_keepsTheRate() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: Self.slow.replacingOccurrences(of: #""processes": 4"#, with: #""processes": 8"#))
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(200))
        try fixture.startFleet()
        Self.sleep(seconds: 3)
        let scaled = MonotonicClock.now()
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/processes", body: #"{"processes": 1}"#).status == 200)
        Self.sleep(seconds: 6)
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let after = Self.rate(arrivals, from: scaled + Self.slowHorizon + Self.second, seconds: 3)
        #expect(after >= 4.3, "5/s with one worker left: \(after)/s")
        #expect(arrivals.busiestWindow(Self.second) <= 6)
    }

    @Test func gracefulRestart_resumesTheRateWithinTheHorizon() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: Self.slow)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(200))
        try fixture.startFleet()
        Self.sleep(seconds: 3)
        #expect(try fixture.stopFleet().0 == .exited(0))
        try fixture.startFleet()
        let restarted = MonotonicClock.now()
        Self.sleep(seconds: 5)
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let first = arrivals.instants.first { $0 >= restarted } ?? .max
        #expect(first < restarted + Self.slowHorizon + Self.second, "sending again within the horizon + 1 s of the restart")
        let resumed = Self.rate(arrivals, from: restarted + Self.slowHorizon + Self.second, seconds: 2)
        #expect(resumed >= 4.3, "5/s after the restart: \(resumed)/s")
        #expect(arrivals.busiestWindow(Self.second) <= 6)
    }

    @Test func repeatedKillOfWorkers_strandsLittleOfTheSchedule() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: Self.slow)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(200))
        try fixture.startFleet()
        Self.sleep(seconds: 2)
        let from = MonotonicClock.now()
        var kills = 0
        for _ in 0..<5 {
            if let victim = childPIDs(of: fixture.fleetProcess?.pid ?? 0).randomElement() {
                kill(victim, SIGKILL)
                kills += 1
            }
            Self.sleep(seconds: 2)
        }
        let to = MonotonicClock.now()
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let achieved = Double(arrivals.count(from: from, to: to)) / (Double(to - from) / 1e9)
        // A killed worker strands only its bookings within the horizon (its
        // share of 1.6 s at 5/s); booked 6.4 s ahead, it stranded all of its
        // 8 attempts' (measured: 2.4/s with bookings 60 s ahead, 3.3–3.6/s now).
        #expect(kills == 5)
        #expect(achieved >= 0.6 * 5, "\(achieved)/s with a worker killed every 2 s")
        #expect(arrivals.busiestWindow(Self.second) <= 6)
    }

    @Test func threeThousandDistinctKeys_drainAtTheQueuesRate() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"twilio.per_number": "1/s"}}"#)
        try fixture.configure(queues: """
            {"twilio-api": {"provider": "twilio", "baseURL": "BASE", "rate": "150/s", "processes": 2, "maxConcurrentPerWorker": 16,
                            "accountSid": "ACkeys", "perKey": {"rate": "1/s"}}}
            """)
        try fixture.enqueue("twilio-api", Self.messages(3000, numbers: 3000))
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["twilio-api"], seconds: 90), "drained")
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("twilio.messages")
        let span = Double((arrivals.instants.last ?? 0) - (arrivals.instants.first ?? 0)) / 1e9
        #expect(arrivals.instants.count == 3000)
        #expect(span <= 3000.0 / 150 * 1.1, "3,000 numbers at 150/s: first to last arrival \(span) s")
        #expect(number(try fixture.stats(), "endpoints", "twilio.messages", "rateLimited") == 0)
    }

    /// OpenAI counts `max_tokens` however JSON writes it: `1500.0` and `1.5e3`
    /// are 1,500 tokens charged at request time. Read as the 1,024 default
    /// (the defect), a full bucket admitted 43 such requests at once where 29 fit.
    @Test func openAITokens_writtenAsDecimalsOrExponents_neverExceedTheTokensWindow() throws {
        // A bucket of 45,000 refilled at 12,000/s admits at most 57,000 tokens
        // in any second of starts; the provider allows 60,000 (headroom for
        // send jitter at the window's edge: running at the exact number is issue 12's).
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"openai.requests": "1000/s", "openai.tokens": "60000/s"}}"#)
        try fixture.configure(queues: """
            {"openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "200/s", "burst": 50, "processes": 4, "maxConcurrentPerWorker": 12,
                            "weighted": [{"name": "tokens", "rate": "12000/s", "burst": 45000}]}}
            """)
        let forms = ["1500.0", "1.5e3", "15E2", "1500"]
        try fixture.enqueue("openai-api", (0..<80).map {
            #"{"id":"ai-\#($0)","kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hi"}],"max_tokens":\#(forms[$0 % 4])}}"#
        })
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["openai-api"], seconds: 60), "drained")
        _ = try fixture.stopFleet()
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "openai.chat_completions", "successes") == 80)
        #expect(number(stats, "endpoints", "openai.chat_completions", "rateLimited") == 0, "no 429")
        let worst = number(stats, "limits", "openai.tokens", "worstWindow")
        #expect(worst > 0 && worst <= 60000, "busiest second: \(worst) tokens of 60,000")
    }

    /// A connection the provider drops mid-request costs that request one
    /// retry, never a stall: the body is always sent whole (URLSession resent
    /// a reused connection's head without its body, and the request waited
    /// for the server's read timeout, 10 s, holding its slot).
    @Test func droppedConnections_costOneRetryEachAndNeverAStall() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 4, "maxConcurrentPerWorker": 8,
                            "maxConcurrent": 25, "retry": {"initialInterval": "100ms"}}}
            """)
        try fixture.setFaults(#"{"dropRatio": 0.2, "endpoints": ["stripe.payment_intents"]}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(300))
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 60), "drained")
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let dropped = arrivals.statuses.filter { $0 == 0 }.count
        let answered = zip(arrivals.instants, arrivals.statuses).filter { $0.1 != 0 }.map(\.0)
        var longestGap: UInt64 = 0
        for (earlier, later) in zip(answered, answered.dropFirst()) { longestGap = max(longestGap, later - earlier) }
        #expect(dropped > 20, "the fault dropped connections: \(dropped)")
        #expect(arrivals.instants.count <= 300 + 2 * dropped, "\(arrivals.instants.count) requests for 300 tasks and \(dropped) drops")
        #expect(longestGap < Self.second, "no stall: the longest gap between answers was \(Double(longestGap) / 1e9) s")
        #expect(try fixture.counts("stripe-api").dead == 0)
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "successes") == 300)
    }
}
