import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// Review attack on issue 19 (the schedule under change), against the
/// sandbox: each test is a defect the attack demonstrated on a release build.
/// They fail until the defect is fixed.
@Suite(.serialized) struct ReviewAttack19Tests {
    static let second: UInt64 = 1_000_000_000

    /// CPU time (user + system) `pid` has used so far, in clock ticks.
    static func cpuTicks(_ pid: pid_t) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state (field 3) … utime (14), stime (15).
        guard fields.count > 13 else { return 0 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Cores the fleet's workers used over `seconds` (1.0: one core busy).
    static func workerCores(_ fixture: FleetFixture, seconds: Double) -> Double {
        let workers = childPIDs(of: fixture.fleetProcess?.pid ?? 0)
        let before = workers.map(cpuTicks).reduce(0, +)
        usleep(UInt32(seconds * 1e6))
        let after = workers.map(cpuTicks).reduce(0, +)
        return Double(after - before) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds
    }

    static func metric(_ fixture: FleetFixture, _ name: String, queue: String) throws -> Double {
        let page = Exposition(String(decoding: try fixture.api("GET", "/metrics").body, as: UTF8.self))
        return page.value(name, ["queue": queue]) ?? -1
    }

    /// `set-rate` to a slow rate and back: the rate in force must apply at
    /// once. The main cell's TAT keeps the *old* interval's debt of the last
    /// request started at the slow rate (start + 60 s at 1/min), so after
    /// 50/s is restored nothing is sent for up to a minute (1/d: a day).
    /// Measured on a release build: one arrival at 1/min, then a 59.96 s gap
    /// at the provider after 50/s was set again.
    @Test func setRateToOnePerMinuteAndBack_theRestoredRateAppliesWithinTheHorizon() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        try fixture.configure(queues: ScheduleUnderChangeTests.stripe)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(1000))
        try fixture.startFleet()
        ScheduleUnderChangeTests.sleep(seconds: 2)
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "1/min"}"#).status == 200)
        ScheduleUnderChangeTests.sleep(seconds: 2)
        let up = MonotonicClock.now()
        #expect(try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "50/s"}"#).status == 200)
        ScheduleUnderChangeTests.sleep(seconds: 5)
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let restored = ScheduleUnderChangeTests.rate(arrivals, from: up + ScheduleUnderChangeTests.horizon + Self.second, seconds: 3)
        #expect(restored >= 45, "50/s again within the horizon + 1 s of restoring it: \(restored)/s")
        #expect(arrivals.busiestWindow(Self.second) <= 100)
    }

    /// Many tasks for one busy key (a campaign from one sending number):
    /// every task whose key is busy goes back to the spool due when the key
    /// allows, so all of them come due at the same instant, one is sent, and
    /// the rest are claimed and deferred again: each waiting task is claimed
    /// once per key interval. Measured on a release build with 2,000 tasks
    /// on one number at 1/s: ~1,900 deferrals a second and two workers at
    /// ~58% CPU each, for one request a second.
    @Test func manyTasksForOneBusyKey_areNotClaimedAgainAndAgain() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"twilio.per_number": "1/s"}}"#)
        try fixture.configure(queues: """
            {"twilio-api": {"provider": "twilio", "baseURL": "BASE", "rate": "150/s", "processes": 2, "maxConcurrentPerWorker": 16,
                            "accountSid": "ACkeys", "perKey": {"rate": "0.9/s"}}}
            """)
        try fixture.enqueue("twilio-api", ScheduleUnderChangeTests.messages(1000, numbers: 1))
        try fixture.startFleet()
        ScheduleUnderChangeTests.sleep(seconds: 3)
        let deferredBefore = try Self.metric(fixture, "sluice_limiter_key_deferrals_total", queue: "twilio-api")
        let cores = Self.workerCores(fixture, seconds: 10)
        let deferred = try Self.metric(fixture, "sluice_limiter_key_deferrals_total", queue: "twilio-api") - deferredBefore
        _ = try fixture.stopFleet()
        let sent = try fixture.arrivals("twilio.messages").instants.count
        #expect(sent >= 5, "the one number sent at its rate: \(sent)")
        // 0.9 requests a second: a handful of deferrals per request sent is
        // churn enough; one per waiting task per interval is not a wait.
        #expect(deferred <= 10 * Double(sent), "\(Int(deferred)) deferrals in 10 s for \(sent) requests")
        #expect(cores < 0.2, "the workers used \(cores) cores to send 0.9 requests a second")
    }

    /// A fleet-wide `maxConcurrent` smaller than the attempts waiting for it:
    /// an attempt that finds no free slot at its instant polls
    /// `slotsInUse` every 2 ms (`Worker.waitForFreeSlot`), 32 attempts at
    /// once here. Measured on a release build (maxConcurrent 2, a provider
    /// taking 2 s, so 1 request a second): four workers at ~56% CPU each.
    @Test func attemptsWaitingForAFleetWideSlot_doNotSpinTheWorkers() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}, "faults": {"latency": "2s"}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 4, "maxConcurrentPerWorker": 8,
                            "maxConcurrent": 2}}
            """)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(200))
        try fixture.startFleet()
        ScheduleUnderChangeTests.sleep(seconds: 3)
        let cores = Self.workerCores(fixture, seconds: 10)
        _ = try fixture.stopFleet()
        let sent = try fixture.arrivals("stripe.payment_intents").instants.count
        #expect(sent >= 5, "requests went out, two at a time: \(sent)")
        #expect(cores < 0.2, "the workers used \(cores) cores to send one request a second")
    }
    /// More live keys than the keyed table holds: the table is 4,096 cells
    /// in every fleet (`SegmentLayout.default`), never sized from the
    /// configuration, and a key's cell stays live for its interval (66.7 s
    /// at 0.9/min). Once 4,096 numbers were used, every other task finds no
    /// room: the queue sends nothing until cells expire, every waiting task
    /// is claimed and deferred once a second, and each deferral writes a
    /// `warn` line. Measured on a release build (200/s, 12,000 numbers at
    /// 0.9/min): 4,096 sent in 20 s, then 0/s for ~50 s, ~8,000
    /// `queue.key_table_full` lines a second (76 MB of log in 80 s), two
    /// workers at ~55% CPU each.
    @Test func moreLiveKeysThanTheKeyedTableHolds_neitherStallsTheQueueNorFloodsTheLog() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"twilio.per_number": "1/min"}}"#)
        try fixture.configure(queues: """
            {"twilio-api": {"provider": "twilio", "baseURL": "BASE", "rate": "300/s", "processes": 2, "maxConcurrentPerWorker": 16,
                            "accountSid": "ACkeys", "perKey": {"rate": "0.9/min"}}}
            """)
        try fixture.enqueue("twilio-api", ScheduleUnderChangeTests.messages(5000, numbers: 5000))
        try fixture.startFleet()
        // 5,000 numbers at 300/s: about 17 s; a stall lasts until the first cells expire (66.7 s).
        #expect(fixture.waitUntilDrained(["twilio-api"], seconds: 45), "drained at the queue's rate")
        _ = try fixture.stopFleet()
        let full = fixture.fleetLog.filter { $0.contains("event=queue.key_table_full") }.count
        #expect(full <= 100, "\(full) queue.key_table_full lines")
        #expect(number(try fixture.stats(), "endpoints", "twilio.messages", "rateLimited") == 0)
    }
    /// A usage report above the estimate (`usage.total_tokens` of 103 for an
    /// estimate of 102: OpenAI's per-message overhead alone does that when a
    /// completion reaches `max_tokens`) makes every booking made before it
    /// book again (`mustBookAgain`: `weightedOverruns` changed), and a
    /// booking with a later one behind it cannot be given back: with one
    /// overrun per answer, most bookings are stranded. The tokens limit here
    /// is far from binding; only the request rate (20/s) is. Measured on a
    /// release build: 20/s when usage equals the estimate, 4/s when it is
    /// one token above.
    @Test func usageOneTokenAboveTheEstimate_doesNotStrandTheRequestRate() throws {
        let upstream = try HostileUpstream { _ in
            // "Say hi" is 6 bytes (2 tokens) + max_tokens 100: an estimate of 102.
            .bytes(HostileUpstream.response(200, [("Content-Type", "application/json")],
                                            body: Array(#"{"usage": {"prompt_tokens": 3, "completion_tokens": 100, "total_tokens": 103}}"#.utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"openai-api": {"provider": "openai", "baseURL": "\(upstream.baseURL)", "rate": "20/s", "processes": 2, "maxConcurrentPerWorker": 4,
                            "weighted": [{"name": "tokens", "rate": "100000/s", "burst": 100000}]}}
            """)
        try fixture.enqueue("openai-api", (0..<1000).map {
            #"{"id":"ai-\#($0)","kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hi"}],"max_tokens":100}}"#
        })
        try fixture.startFleet()
        ScheduleUnderChangeTests.sleep(seconds: 3)
        let before = upstream.requests.count
        ScheduleUnderChangeTests.sleep(seconds: 10)
        let achieved = Double(upstream.requests.count - before) / 10
        _ = try fixture.stopFleet()
        #expect(achieved >= 0.8 * 20, "\(achieved)/s of the 20/s allowed")
    }
}
