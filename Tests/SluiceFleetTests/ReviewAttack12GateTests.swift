import Foundation
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Synchronization
import Testing

/// Review of the executor's gate (issue 12), attacked on 127.0.0.1 with a
/// real fleet; judged from what the upstream received.
@Suite(.serialized) struct ReviewAttack12GateTests {
    /// An upstream reached through a SOCKS5 hop of `socksDelay` s (every
    /// connection new: it answers `Connection: close`) that stamps each
    /// request's arrival with the monotonic clock (system-wide, so comparable
    /// with the test's own instants).
    final class StampingUpstream: Sendable {
        final class Arrivals: Sendable {
            let stamps = Mutex<[UInt64]>([])
        }

        let arrivals = Arrivals()
        let upstream: HostileUpstream

        init(socksDelay: Double) throws {
            let arrivals = self.arrivals
            upstream = try HostileUpstream(socksDelay: socksDelay) { _ in
                arrivals.stamps.withLock { $0.append(MonotonicClock.now()) }
                return .bytes(HostileUpstream.response(200, body: Array("{}".utf8)))
            }
        }

        var stamps: [UInt64] { arrivals.stamps.withLock { $0 } }
    }

    /// The busiest second's arrivals, as ms from its first, with their statuses; and the fleet's log lines about lateness.
    static func describeBusiest(_ arrivals: SandboxArrivals) -> String {
        guard let start = arrivals.busiestWindowStart(ExactLimitTests.second) else { return "no arrivals" }
        let inside = zip(arrivals.instants, arrivals.statuses).filter { $0.0 >= start && $0.0 < start + ExactLimitTests.second }
        let all = zip(arrivals.instants, arrivals.statuses).map { "\(Double(Int64(bitPattern: $0.0 &- start)) / 1e6)ms:\($0.1)" }
        return "busiest second: " + inside.map { "\(Double($0.0 - start) / 1e6)ms:\($0.1)" }.joined(separator: " ") + " | all: " + all.joined(separator: " ")
    }

    static func tasks(_ count: Int) -> [String] {
        (1...count).map { #"{"id": "t\#($0)", "kind": "http", "payload": {"method": "GET", "path": "/t\#($0)"}}"# }
    }

    /// Every connection takes 200 ms to open (and is closed after its
    /// answer), longer than the booking horizon at 20/s (200 ms). Found by
    /// the review as a stall of the first design (a learnt connection lead
    /// that pushed every booking beyond the horizon: 0 of 60 in 12 s); the
    /// request is now booked again at its gate, its connection ready.
    @Test func aLeadLongerThanTheBookingHorizon_stillSendsAtTheRate() throws {
        let upstream = try StampingUpstream(socksDelay: 0.2)
        defer { upstream.upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"slow-api": {"provider": "http", "baseURL": "http://api.example", "rate": "20/s"}}
            """)
        try fixture.enqueue("slow-api", Self.tasks(60))
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(upstream.upstream.port)"
        try fixture.startFleet(environment: environment)
        // 60 at 20/s is 3 s; 12 s is four times that.
        let drained = fixture.waitUntilDrained(["slow-api"], seconds: 12)
        let received = upstream.stamps.count
        #expect(drained, "60 tasks at 20/s through a 200 ms connection setup not done in 12 s: \(received) requests received")
        #expect(received >= 60)
        #expect(try fixture.stopFleet().0 == .exited(0))
    }

    /// The same on a keyed queue, whose horizon is 2 intervals of the
    /// queue's rate, at least 20 ms: a 50 ms connection setup (a TLS
    /// handshake across a continent) stalled the first design (0 of 40).
    @Test func aKeyedQueue_withA50msConnectionSetup_stillSends() throws {
        let upstream = try StampingUpstream(socksDelay: 0.05)
        defer { upstream.upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"keyed-api": {"provider": "http", "baseURL": "http://api.example", "rate": "100/s", "perKey": {"rate": "10/s"}}}
            """)
        try fixture.enqueue("keyed-api", (1...40).map {
            #"{"id": "k\#($0)", "kind": "http", "key": "number-\#($0 % 20)", "payload": {"method": "GET", "path": "/k\#($0)"}}"#
        })
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(upstream.upstream.port)"
        try fixture.startFleet(environment: environment)
        // 40 requests of 55 ms on 4 connections at a time: under 1 s; 12 s is plenty.
        let drained = fixture.waitUntilDrained(["keyed-api"], seconds: 12)
        let received = upstream.stamps.count
        #expect(drained, "40 keyed tasks through a 50 ms connection setup not done in 12 s: \(received) requests received")
        #expect(received >= 40)
        #expect(try fixture.stopFleet().0 == .exited(0))
    }

    /// One slow connection (a lost SYN: Linux retransmits after 1 s), then
    /// kept-alive ones. The first design kept a 1 s connection lead for the
    /// next one to two minutes: every attempt held its pool thread a second
    /// ahead of its instant, and the queue ran at a fraction of its rate
    /// (24 of 200 in 30 s). Judged at the provider: the sandbox's recorded
    /// arrivals. (With no slow connection, the same run drains in 10.4 s.)
    @Test func oneSlowConnection_doesNotThrottleAKeptAliveQueue() throws {
        let run = try Self.drainAfterOneSlowConnection(queue: #"{"provider": "stripe", "baseURL": "BASE", "rate": "20/s"}"#)
        #expect(run.drained, "200 tasks at 20/s not drained in 30 s: \(run.arrivals.instants.count) arrived, \(run.connections) connections")
        #expect(run.achieved >= 15, "achieved \(run.achieved)/s of 20 after one slow connection (\(run.connections) connections)")
        #expect(run.arrivals.busiestWindow(ExactLimitTests.second) <= 20)
    }

    /// The fleet-wide concurrency slot is taken at the hand-over and held
    /// through the wait at the gate (and a wait for an instant booked there).
    /// The first design, after one slow connection, held each of 2 slots a
    /// second per request: 6.5/s of a 20/s queue the provider answers in a
    /// millisecond.
    @Test func maxConcurrent_afterOneSlowConnection_stillCarriesTheRate() throws {
        let run = try Self.drainAfterOneSlowConnection(
            queue: #"{"provider": "stripe", "baseURL": "BASE", "rate": "20/s", "processes": 2, "maxConcurrent": 2}"#)
        #expect(run.drained, "200 tasks at 20/s on 2 slots not drained in 30 s: \(run.arrivals.instants.count) arrived, \(run.connections) connections")
        #expect(run.achieved >= 15, "achieved \(run.achieved)/s of 20 on 2 slots after one slow connection (\(run.connections) connections)")
        #expect(run.arrivals.busiestWindow(ExactLimitTests.second) <= 20, "\(Self.describeBusiest(run.arrivals))")
        #expect(run.arrivals.statuses.filter { $0 == 429 }.count == 0, "429s at the provider")
    }

    /// 200 Stripe tasks at 20/s through a proxy whose first connection takes
    /// 1.1 s to open and every other none: whether they drained within 30 s,
    /// the sandbox's arrivals, and the rate from the start to the last
    /// arrival (or to the give-up, if some never came).
    static func drainAfterOneSlowConnection(queue: String) throws
        -> (drained: Bool, arrivals: SandboxArrivals, achieved: Double, connections: Int) {
        let proxy = try ForwardingSocksProxy { $0 == 0 ? 1.1 : 0 }
        defer { proxy.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "20/s"}}"#)
        try fixture.configure(queues: #"{"stripe-api": \#(queue)}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(200))
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(proxy.port)"
        try fixture.startFleet(environment: environment)
        let started = MonotonicClock.now()
        // 200 at 20/s is 10 s; 30 s allows for a loaded host.
        let drained = fixture.waitUntilDrained(["stripe-api"], seconds: 30)
        let ended = MonotonicClock.now()
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        let last = drained ? (arrivals.instants.max() ?? ended) : ended
        let achieved = Double(arrivals.instants.count) * 1e9 / Double(max(last, started + 1) - started)
        return (drained, arrivals, achieved, proxy.connections)
    }

    /// What follows the stamp. The edge guard is learnt from each request's
    /// lateness at its stamp (the gate), which the gate made tiny; what
    /// comes after the stamp (the write, the network, the provider's own
    /// clock) Sluice cannot see. A path whose delay varies by a millisecond
    /// or two (any real network; here a proxy that passes each request on
    /// after 0–2 ms) put 21 requests in the provider's second in 7 of 7
    /// runs (the review). Now the spacing also leaves a path guard (1 ms),
    /// and a 429 at the full rate doubles it: at most a couple of 429s teach
    /// the path, and the guard in force says so. Judged from the sandbox's
    /// kernel-stamped arrivals.
    @Test func aPathWithAMillisecondOfJitter_keepsEveryWindowAtTheProvidersNumber() throws {
        let proxy = try ForwardingSocksProxy(jitter: 0.002) { _ in 0 }
        defer { proxy.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "20/s"}}"#)
        try fixture.configure(queues: ExactLimitTests.queue(rate: "20/s", processes: 4))
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(400))
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(proxy.port)"
        try fixture.startFleet(environment: environment)
        let drained = fixture.waitUntilDrained(["stripe-api"], seconds: 40)
        let describe = try fixture.api("GET", "/v1/queues/stripe-api")
        _ = try fixture.stopFleet()
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        #expect(drained, "400 tasks at 20/s not drained in 40 s: \(arrivals.instants.count) arrived")
        let refused = arrivals.statuses.filter { $0 == 429 }.count
        let windows = (0..<arrivals.instants.count).filter { index in
            arrivals.count(from: arrivals.instants[index], to: arrivals.instants[index] + ExactLimitTests.second) > 20
        }.count
        let accepted = SandboxArrivals(instants: zip(arrivals.instants, arrivals.statuses).filter { $0.1 != 429 }.map(\.0), statuses: [])
        #expect(accepted.busiestWindow(ExactLimitTests.second) <= 20, "the provider accepted more than 20 in a second")
        #expect(refused <= 2,
                "busiest second \(arrivals.busiestWindow(ExactLimitTests.second)) of 20; \(windows) seconds over; \(refused) × 429; achieved \(ExactLimitTests.achieved(arrivals))/s; \(String(decoding: describe.body, as: UTF8.self).prefix(400))")
        if refused > 0 {
            let pathGuard = (try? JSONParser.parse(describe.body)).flatMap { value -> Double? in
                guard case .object(let document) = value else { return nil }
                return document.double(at: "rate", "pathGuardSeconds")
            } ?? 0
            #expect(pathGuard >= 0.002, "a 429 at the full rate doubled the path guard: \(pathGuard) s")
        }
        let overAt = arrivals.busiestWindowStart(ExactLimitTests.second).map { Double($0 - (arrivals.instants.min() ?? $0)) / 1e9 } ?? -1
        print("jitter run: busiest window starts \(overAt) s after the first arrival; 429s at \(zip(arrivals.instants, arrivals.statuses).filter { $0.1 == 429 }.map { Double($0.0 - (arrivals.instants.min() ?? $0.0)) / 1e9 }) s; busiest \(arrivals.busiestWindow(ExactLimitTests.second)), over \(windows), 429 \(refused), achieved \(ExactLimitTests.achieved(arrivals)); \(String(decoding: describe.body, as: UTF8.self).prefix(400))")
    }

    /// A pause, then a set-rate, while requests wait at their gates (a
    /// 0.6 s lead): nothing reaches the provider while paused, the rate set
    /// holds from the moment it is in force, and every task is sent once.
    @Test func pauseAndSetRate_whileRequestsWaitAtTheirGates_sendNothingTheyShouldNot() throws {
        let upstream = try StampingUpstream(socksDelay: 0.4)
        defer { upstream.upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"slow-api": {"provider": "http", "baseURL": "http://api.example", "rate": "5/s", "processes": 2}}
            """)
        try fixture.enqueue("slow-api", Self.tasks(60))
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(upstream.upstream.port)"
        try fixture.startFleet(environment: environment)
        #expect(ChildProcessRunner.waitUntil(seconds: 20) { upstream.stamps.count >= 10 })
        #expect(try fixture.cli(["queue", "pause", "slow-api"]).0 == .exited(0))
        let pausedAt = MonotonicClock.now()
        usleep(2_000_000)
        let duringPause = upstream.stamps.filter { $0 > pausedAt + 20_000_000 }.count
        #expect(duringPause == 0, "\(duringPause) requests reached the provider while the queue was paused")
        #expect(try fixture.cli(["queue", "resume", "slow-api"]).0 == .exited(0))
        #expect(ChildProcessRunner.waitUntil(seconds: 20) { upstream.stamps.count >= 25 })
        #expect(try fixture.cli(["queue", "set-rate", "slow-api", "1/s"]).0 == .exited(0))
        let slowedAt = MonotonicClock.now()
        usleep(5_000_000)
        let afterSlowing = upstream.stamps.filter { $0 > slowedAt + 20_000_000 && $0 <= slowedAt + 5_000_000_000 }.count
        // 1/s for 5 s: 5, and one for a booking's edge.
        #expect(afterSlowing <= 6, "\(afterSlowing) requests in the 5 s after set-rate 1/s")
        #expect(try fixture.cli(["queue", "set-rate", "slow-api", "5/s"]).0 == .exited(0))
        #expect(fixture.waitUntilDrained(["slow-api"], seconds: 30))
        let paths = upstream.upstream.requests.map(\.path)
        #expect(paths.count == 60 && Set(paths).count == 60, "\(paths.count) requests for \(Set(paths).count) tasks")
        #expect(try fixture.stopFleet().0 == .exited(0))
    }

    /// A loaded host (four busy loops on the two cores), 1.5/s against "3
    /// in any 2 s", 40 tasks. With a 5 ms initial guard, wake-ups late under
    /// load lost their instants and a run shorter than the 50 samples the
    /// learner waited for never learnt past it (the review: 64–90%, median
    /// 79%). The initial guard is 20 ms again and 20 samples suffice. No
    /// window over and no 429 on a loaded host; the rate achieved is the
    /// bench's figure. Judged from the sandbox's arrivals.
    @Test func onePointFivePerSecond_onALoadedHost_keepsItsInstants() throws {
        let scratch = try ScratchDirectory(label: "busy")
        let loops = try (0..<4).map { try SpawnedChild("/bin/sh", ["-c", "while :; do :; done"], in: scratch, label: "busy-\($0)") }
        defer { loops.forEach { $0.kill() } }
        let (arrivals, refused, _) = try ExactLimitTests.drain(rate: "1.5/s", limit: "3/2s", processes: 4, tasks: 40, seconds: 60)
        #expect(arrivals.busiestWindow(2 * ExactLimitTests.second) <= 3)
        #expect(refused == 0, "\(refused) × 429")
        // What it achieves is a timing figure (the bench's); here only that
        // a loaded host does not collapse the queue.
        let achieved = ExactLimitTests.achieved(arrivals)
        #expect(achieved >= 1.0, "achieved \(achieved)/s of 1.5 (\(Int(achieved / 1.5 * 100))%) on a loaded host")
        print("loaded 1.5/s: achieved \(achieved)/s, \(Int(achieved / 1.5 * 1000)) per mille")
    }

    /// SIGTERM while requests wait at their gates. The drain's contract
    /// (`AttemptRegistry.stopWaitingAttempts`): an attempt is either already
    /// sending or never sends. A request handed over before its instant has
    /// not started: its gate asks whether shutdown began (`refusesToSend`)
    /// and withdraws it, and the task goes back to the spool. (Found by the
    /// review: 3–4 requests written up to 0.8 s after SIGTERM.)
    @Test func sigtermWhileRequestsWaitAtTheirGates_sendsNothingAfterTheDrainBegan() throws {
        let upstream = try StampingUpstream(socksDelay: 0.4)
        defer { upstream.upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"slow-api": {"provider": "http", "baseURL": "http://api.example", "rate": "5/s"}}
            """)
        try fixture.enqueue("slow-api", Self.tasks(200))
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(upstream.upstream.port)"
        try fixture.startFleet(environment: environment)
        // Running at the rate, the lead learnt (0.6 s, under the 0.8 s horizon), requests at their gates.
        let running = ChildProcessRunner.waitUntil(seconds: 20) { upstream.stamps.count >= 15 }
        #expect(running, "the queue did not get going: \(upstream.stamps.count) requests")
        let sigtermAt = MonotonicClock.now()
        let (status, seconds) = try fixture.stopFleet()
        #expect(status == .exited(0))
        #expect(seconds < 10)
        // 250 ms for the supervisor to forward SIGTERM and for the worker's
        // dispatcher to stop (it polls every 200 ms; the drain stops waiting
        // attempts after it, as before d91277e); a request at its gate goes
        // up to 0.6 s after SIGTERM.
        let afterDrain = upstream.stamps.filter { $0 > sigtermAt + 250_000_000 }
        #expect(afterDrain.isEmpty,
                "\(afterDrain.count) requests reached the provider after SIGTERM's drain began, up to \(Double((afterDrain.max() ?? sigtermAt) - sigtermAt) / 1e6) ms after it")
        // Nothing lost: every task was sent once, or is back in the spool.
        let counts = try fixture.counts("slow-api")
        #expect(counts.readyDue + counts.readyWaiting + upstream.stamps.count == 200, "\(counts), \(upstream.stamps.count) sent")
        #expect(counts.leased == 0 && counts.dead == 0, "\(counts)")
    }
}
