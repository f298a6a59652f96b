import SluicePOSIX
@testable import SluiceProviders
import Synchronization
import Testing
@testable import SluiceWorker

/// The executor's gate: a request handed over before its instant waits,
/// connected, on its pool thread, and is written at the instant, never
/// before; one no longer wanted there is withdrawn unsent. Against a real
/// server on 127.0.0.1.
@Suite(.serialized) struct ExecutorGateTests {
    static func request(_ upstream: HostileUpstream, _ path: String) -> OutgoingRequest {
        OutgoingRequest(method: "GET", url: upstream.baseURL + path, headers: [], body: [])
    }

    static func okUpstream() throws -> HostileUpstream {
        try HostileUpstream { _ in .bytes(HostileUpstream.response(200, body: Array("{}".utf8))) }
    }

    @Test func aRequestHandedOverEarly_goesOnTheWireAtItsGate_neverBefore() async throws {
        let upstream = try Self.okUpstream()
        defer { upstream.stop() }
        let executor = try HTTPExecutor(maximumConnections: 2, requestTimeout: 5_000_000_000)
        defer { executor.close() }
        for index in 0..<5 {
            let gate = MonotonicClock.now() + 100_000_000
            let wire = Mutex<UInt64?>(nil)
            let sending = await executor.send(Self.request(upstream, "/g\(index)"), at: gate, notAfter: gate + 1_000_000_000,
                                              onWire: { at in wire.withLock { $0 = at } })
            guard case .sent(.answered(let answer), let onWireAt) = sending else {
                Issue.record("not answered: \(sending)")
                return
            }
            #expect(answer.status == 200)
            let stamped = try #require(wire.withLock { $0 })
            #expect(stamped == onWireAt)
            #expect(stamped >= gate, "on the wire \(gate - stamped) ns before its gate")
        }
        #expect(upstream.requests.count == 5)
    }

    @Test func aRequestNoLongerWantedAtItsGate_isWithdrawn_andNothingIsSent() async throws {
        let upstream = try Self.okUpstream()
        defer { upstream.stop() }
        let executor = try HTTPExecutor(maximumConnections: 1, requestTimeout: 5_000_000_000)
        defer { executor.close() }
        // Wanted when handed over, not at the gate (a pause came in between).
        let paused = Atomic<Bool>(false)
        let gate = MonotonicClock.now() + 100_000_000
        async let sending = executor.send(Self.request(upstream, "/w"), at: gate, notAfter: gate + 1_000_000_000,
                                          stillWanted: { !paused.load(ordering: .relaxed) })
        paused.store(true, ordering: .relaxed)
        guard case .withdrawn = await sending else {
            Issue.record("expected withdrawn, got \(await sending)")
            return
        }
        #expect(upstream.requests.isEmpty, "a withdrawn request reached the server")
        // The pool thread is free and the next request goes as usual.
        guard case .sent(.answered, _) = await executor.send(Self.request(upstream, "/after"), notAfter: nil) else {
            Issue.record("the request after a withdrawal was not answered")
            return
        }
        #expect(upstream.requests.map(\.path) == ["/after"])
    }

    @Test func aRequestPastItsLatestInstantAtTheGate_isTooLate_andNothingIsSent() async throws {
        let upstream = try Self.okUpstream()
        defer { upstream.stop() }
        let executor = try HTTPExecutor(maximumConnections: 1, requestTimeout: 5_000_000_000)
        defer { executor.close() }
        let past = MonotonicClock.now() - 50_000_000
        guard case .tooLate = await executor.send(Self.request(upstream, "/late"), at: past, notAfter: past + 1_000_000) else {
            Issue.record("a request past its latest instant was not refused")
            return
        }
        #expect(upstream.requests.isEmpty)
    }

    /// The lead is half as much again as the slowest setup of the last one
    /// to two minutes, capped at a second, and forgets what is older.
    @Test func theConnectionLead_coversTheSlowestRecentSetup_andForgetsOldOnes() {
        let lead = ConnectionLead()
        let minute = ConnectionLead.span
        #expect(lead.lead(at: 1) == 0)
        lead.record(setup: 40_000, at: 1)
        lead.record(setup: 300_000_000, at: 2)
        lead.record(setup: 60_000, at: 3)
        #expect(lead.lead(at: 4) == 450_000_000)
        // Still counted in the next span…
        #expect(lead.lead(at: minute + 10) == 450_000_000)
        lead.record(setup: 100_000, at: minute + 20)
        // … forgotten in the one after it.
        #expect(lead.lead(at: 2 * minute + 30) == 150_000)
        #expect(lead.lead(at: 5 * minute) == 0)
        lead.record(setup: 5_000_000_000, at: 5 * minute)
        #expect(lead.lead(at: 5 * minute + 1) == ConnectionLead.longest)
    }
}
