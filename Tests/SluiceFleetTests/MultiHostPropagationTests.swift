import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// Several hosts, one queue: a 429 on one host (its hold and the decrease it
/// teaches), and an operator's set-rate,
/// pause and resume through one host's API, are obeyed by every host.
/// Judged at the sandbox from the arrivals of the other host's requests
/// alone: host A (0) sends refunds, host B (1) payment intents, both through
/// the one queue (one schedule in Redis, one Stripe request limit), so each
/// endpoint's arrivals are one host's.
///
/// How fast a host learns is the one figure that depends on timing: at most
/// the agent's spacing of calls (about 100 ms while busy, `syncSpan` = 0.5 s
/// while idle or paused) and a round trip. The tests leave it ample room
/// (`learning`), so only a change that does not propagate at all fails them.
@Suite(.serialized) struct MultiHostPropagationTests {
    static let refunds = "stripe.refunds"
    static let payments = "stripe.payment_intents"
    /// Room for a host to learn a change or a hold (see above), and for requests already on the wire.
    static let learning: UInt64 = 700_000_000
    /// Arrival jitter on a loaded 2-core machine: late wake-ups bunch up by a
    /// request or two in a window (MultiHostTests, README).
    static let jitter = 2

    static func refundTasks(_ count: Int) -> [String] {
        (0..<count).map { #"{"id":"refund-\#($0)","kind":"refund_payment","payload":{"payment_intent":"pi_\#($0)"}}"# }
    }

    /// Waits until `endpoint` saw `count` arrivals.
    static func awaitArrivals(_ cluster: Cluster, _ endpoint: String, atLeast count: Int, seconds: Double = 15) -> Bool {
        ChildProcessRunner.waitUntil(seconds: seconds) { ((try? cluster.fixture.arrivals(endpoint))?.instants.count ?? 0) >= count }
    }

    @Test func a429OnHostA_holdsHostB_thenBothSendAgain() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 0, Self.refundTasks(400))
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(400, prefix: "b"))
        try cluster.startAll()
        #expect(Self.awaitArrivals(cluster, Self.refunds, atLeast: 20) && Self.awaitArrivals(cluster, Self.payments, atLeast: 20))
        try cluster.fixture.setFaults(#"{"force429": [{"endpoint": "stripe.refunds", "count": 1, "retryAfter": 3}]}"#)
        var told: UInt64?
        _ = ChildProcessRunner.waitUntil(seconds: 5) {
            guard let refunds = try? cluster.fixture.arrivals(Self.refunds) else { return false }
            told = zip(refunds.instants, refunds.statuses).first { $0.1 == 429 }?.0
            return told != nil
        }
        let at = try #require(told, "host A got its 429")
        usleep(UInt32((at + 4_500_000_000).subtractingSaturated(MonotonicClock.now()) / 1_000))
        let payments = try cluster.fixture.arrivals(Self.payments)
        let refunds = try cluster.fixture.arrivals(Self.refunds)
        let hold: UInt64 = 3_000_000_000
        let fromB = payments.count(from: at + Self.learning, to: at + hold)
        let fromA = refunds.count(from: at + 1_000_000, to: at + hold)
        let firstB = payments.instants.first { $0 > at }.map { Double($0 - at) / 1e6 } ?? -1
        let lastBInHold = payments.instants.last { $0 > at && $0 < at + hold }.map { Double($0 - at) / 1e6 } ?? -1
        let bAfter = payments.count(from: at + hold, to: at + 4_500_000_000)
        let metrics = String(decoding: try cluster.api(host: 1, "GET", "/metrics").body, as: UTF8.self)
        Cluster.report("429 (Retry-After 3 s) on host A: host B sent \(payments.count(from: at, to: at + Self.learning)) in the first \(Self.learning / 1_000_000) ms (last at \(String(format: "%.0f", lastBInHold)) ms), \(fromB) in the rest of the hold, \(bAfter) in the 1.5 s after (first after the 429 at \(String(format: "%.0f", firstB)) ms); host A \(fromA) in the hold")
        #expect(fromB == 0, "host B held: \(fromB) arrivals from \(Self.learning / 1_000_000) ms to 3 s after host A's 429")
        #expect(fromA == 0, "host A held by its own 429")
        #expect(bAfter >= 20, "host B sends again once the hold is over: \(bAfter)")
        let metricsA = String(decoding: try cluster.api(host: 0, "GET", "/metrics").body, as: UTF8.self)
        #expect(metricsA.contains("sluice_coordinator_holds_total{direction=\"published\"} 1"), "host A counts the hold it published")
        #expect(metrics.contains("sluice_coordinator_holds_total{direction=\"applied\"} 1"), "host B counts the hold it applied")
        // AIMD fleet-wide: host A's 429 lowered host B's rate in force too (one decrease).
        #expect(metrics.contains("sluice_rate_limit_decreases{queue=\"stripe-api\"} 1"), "host B learnt from host A's 429")
        #expect(metricsA.contains("sluice_rate_limit_decreases{queue=\"stripe-api\"} 1"), "host A learnt from its own 429")
    }

    @Test func setRateThroughHostAsAPI_isTheRateTheSandboxMeasuresFromHostB() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(700, prefix: "b"))
        try cluster.startAll()
        #expect(Self.awaitArrivals(cluster, Self.payments, atLeast: 60))
        usleep(1_000_000)   // a whole second at the configured rate
        let answer = try cluster.api(host: 0, "PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "30/s"}"#)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        let changedAt = MonotonicClock.now()
        usleep(5_000_000)
        let payments = try cluster.fixture.arrivals(Self.payments)
        let measured = payments.count(from: changedAt + 1_500_000_000, to: changedAt + 4_500_000_000)
        let before = payments.count(from: changedAt - 1_000_000_000, to: changedAt)
        let after = SandboxArrivals(instants: payments.instants.filter { $0 >= changedAt + Self.learning }, statuses: [])
        let busiest = after.busiestWindow(1_000_000_000)
        let describeB = try cluster.api(host: 1, "GET", "/v1/queues/stripe-api")
        let savedB = (try? String(contentsOfFile: cluster.spoolRoot(1) + "/stripe-api/overrides.json", encoding: .utf8)) ?? ""
        Cluster.report("set-rate 30/s through host A: host B sent \(before) in the second before, \(measured) in the 3 s from 1.5 s after (\(String(format: "%.1f", Double(measured) / 3))/s); busiest second from \(Self.learning / 1_000_000) ms after: \(busiest)")
        #expect(before >= 70, "host B sent at the configured 90/s before: \(before)")
        #expect(measured <= 30 * 3 + 1 + Self.jitter && measured >= 75, "host B at 30/s: \(measured) in 3 s")
        #expect(busiest <= 30 + 1 + Self.jitter, "no second of host B's above the new rate once it learnt it: \(busiest)")
        #expect(String(decoding: describeB.body, as: UTF8.self).contains("\"30/s\""), "host B describes the rate set on A")
        #expect(savedB.contains("\"30/s\""), "host B saved it in its overrides: \(savedB)")
    }

    /// Through the CLI this time (`sluice queue pause|resume --config`, which goes through host A's API).
    @Test func pauseThroughHostA_stopsHostB_andResumeStartsItAgain() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(700, prefix: "b"))
        try cluster.startAll()
        #expect(Self.awaitArrivals(cluster, Self.payments, atLeast: 60))
        #expect(try cluster.cli(host: 0, ["queue", "pause", "stripe-api"]) == "queue stripe-api paused")
        let pausedAt = MonotonicClock.now()
        usleep(3_000_000)
        #expect(try cluster.cli(host: 0, ["queue", "resume", "stripe-api"]) == "queue stripe-api resumed")
        let resumedAt = MonotonicClock.now()
        usleep(2_500_000)
        let payments = try cluster.fixture.arrivals(Self.payments)
        let whilePaused = payments.count(from: pausedAt + Self.learning, to: resumedAt)
        let afterResume = payments.count(from: resumedAt + 1_000_000_000, to: resumedAt + 2_000_000_000)
        let savedB = (try? String(contentsOfFile: cluster.spoolRoot(1) + "/stripe-api/overrides.json", encoding: .utf8)) ?? ""
        Cluster.report("pause through host A: host B sent \(payments.count(from: pausedAt, to: pausedAt + Self.learning)) in the first \(Self.learning / 1_000_000) ms, \(whilePaused) in the \(String(format: "%.1f", Double(resumedAt - pausedAt - Self.learning) / 1e9)) s after; resume: \(afterResume) in the second from 1 s after")
        #expect(whilePaused == 0, "host B paused: \(whilePaused)")
        #expect(afterResume >= 45, "host B sends again after the resume: \(afterResume) in a second")
        #expect(savedB.contains("\"paused\":false") || savedB.contains("\"paused\": false"), "host B saved the last word: \(savedB)")
    }

    @Test func aHostStartedAfterASetRate_obeysItFromItsFirstRequest() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.start(host: 0)
        #expect(try cluster.api(host: 0, "PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "30/s"}"#).status == 200)
        usleep(300_000)
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(200, prefix: "late"))
        try cluster.start(host: 1)
        #expect(Self.awaitArrivals(cluster, Self.payments, atLeast: 1))
        let first = try #require(try cluster.fixture.arrivals(Self.payments).instants.first)
        usleep(UInt32((first + 4_000_000_000).subtractingSaturated(MonotonicClock.now()) / 1_000))
        let payments = try cluster.fixture.arrivals(Self.payments)
        let measured = payments.count(from: first, to: first + 3_000_000_000)
        let busiest = payments.busiestWindow(1_000_000_000)
        let savedB = (try? String(contentsOfFile: cluster.spoolRoot(1) + "/stripe-api/overrides.json", encoding: .utf8)) ?? ""
        Cluster.report("host B started after set-rate 30/s on host A: \(measured) in its first 3 s, busiest second \(busiest) (configured 90/s)")
        #expect(busiest <= 30 + 1 + Self.jitter, "from its first request: \(busiest) in its busiest second")
        #expect(measured >= 75 && measured <= 30 * 3 + 1 + Self.jitter, "at 30/s: \(measured) in 3 s")
        #expect(savedB.contains("\"30/s\""), "saved in host B's overrides: \(savedB)")
    }
}

extension Cluster {
    /// `sluice <arguments> --config <host's configuration>`; its output, trimmed, once it exited 0.
    func cli(host: Int, _ arguments: [String]) throws -> String {
        let child = try SpawnedChild(fixture.sluice, arguments + ["--config", configPath(host)], in: fixture.files,
                                     label: "cli-\(host)-\(arguments.joined(separator: "-"))")
        guard try child.wait() == .exited(0) else { throw FixtureError("sluice \(arguments) on host \(host): \(child.errors)") }
        return child.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One request with a JSON body to a host's control plane.
    func api(host: Int, _ method: String, _ path: String, body: String) throws -> ControlClient.Response {
        guard let endpoint = ControlEndpoint.read(root: spoolRoot(host)) else { throw FixtureError("host \(host) wrote no control.json") }
        return try ControlClient(address: endpoint.connectAddress, token: nil).send(method, path, body: Array(body.utf8), contentType: "application/json")
    }
}
