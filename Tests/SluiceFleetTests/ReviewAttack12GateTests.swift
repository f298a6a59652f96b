import Foundation
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
        // The first connection takes 1.1 s to open; every other one is immediate.
        let proxy = try ForwardingSocksProxy { $0 == 0 ? 1.1 : 0 }
        defer { proxy.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "20/s"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s"}}"#)
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
        #expect(drained, "200 tasks at 20/s not drained in 30 s: \(arrivals.instants.count) arrived, \(proxy.connections) connections")
        // From the start to the last arrival (or to the give-up, if some never
        // came): the floor ExactLimitTests holds a loaded host to.
        let last = drained ? (arrivals.instants.max() ?? ended) : ended
        let achieved = Double(arrivals.instants.count) * 1e9 / Double(max(last, started + 1) - started)
        #expect(achieved >= 15, "achieved \(achieved)/s of 20 after one slow connection (\(proxy.connections) connections)")
        #expect(arrivals.busiestWindow(ExactLimitTests.second) <= 20)
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
        // Running at the rate, requests at their gates (each connection takes 0.4 s to open).
        let running = ChildProcessRunner.waitUntil(seconds: 20) { upstream.stamps.count >= 15 }
        #expect(running, "the queue did not get going: \(upstream.stamps.count) requests")
        let sigtermAt = MonotonicClock.now()
        let (status, seconds) = try fixture.stopFleet()
        #expect(status == .exited(0))
        #expect(seconds < 10)
        // 250 ms for the supervisor to forward SIGTERM and for the worker's
        // dispatcher to stop (it polls every 200 ms; the drain stops waiting
        // attempts after it).
        let afterDrain = upstream.stamps.filter { $0 > sigtermAt + 250_000_000 }
        #expect(afterDrain.isEmpty,
                "\(afterDrain.count) requests reached the provider after SIGTERM's drain began, up to \(Double((afterDrain.max() ?? sigtermAt) - sigtermAt) / 1e6) ms after it")
        // Nothing lost: every task was sent once, or is back in the spool.
        let counts = try fixture.counts("slow-api")
        #expect(counts.readyDue + counts.readyWaiting + upstream.stamps.count == 200, "\(counts), \(upstream.stamps.count) sent")
        #expect(counts.leased == 0 && counts.dead == 0, "\(counts)")
    }
}
