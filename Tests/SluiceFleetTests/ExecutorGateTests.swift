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

    /// Found too late at its gate (here: handed over after its latest
    /// instant), a request books a new instant there and goes at it, on the
    /// connection it has, rather than be aborted (libcurl would close that
    /// connection, and a slow one would be too late again, for ever).
    @Test func aRequestTooLateAtItsGate_booksANewInstantThere_andGoesAtIt() async throws {
        let upstream = try Self.okUpstream()
        defer { upstream.stop() }
        let executor = try HTTPExecutor(maximumConnections: 1, requestTimeout: 5_000_000_000)
        defer { executor.close() }
        let past = MonotonicClock.now() - 50_000_000
        let asked = Mutex<[UInt64]>([])
        let newGate = Mutex<UInt64>(0)
        let rebook = HTTPExecutor.Rebooking(within: 1_000_000_000) { lateAt in
            asked.withLock { $0.append(lateAt) }
            let gate = MonotonicClock.now() + 50_000_000
            newGate.withLock { $0 = gate }
            return (gate: gate, notAfter: gate + 1_000_000_000)
        }
        let sending = await executor.send(Self.request(upstream, "/rebooked"), at: past, notAfter: past + 1_000_000, rebook: rebook)
        guard case .sent(.answered, let onWireAt?) = sending else {
            Issue.record("not sent at its new instant: \(sending)")
            return
        }
        #expect(asked.withLock { $0.count } == 1, "booked again once")
        #expect(onWireAt >= newGate.withLock { $0 }, "sent before its new instant")
        #expect(upstream.requests.map(\.path) == ["/rebooked"])
    }

    /// A gate that cannot book again (the queue allows nothing within the
    /// horizon) aborts the request, unsent; a request late at every new
    /// instant is aborted after `CurlTransfer.mostRebooks` of them.
    @Test func aRequestThatCannotBookAgain_orIsLateEveryTime_isTooLate_andNothingIsSent() async throws {
        let upstream = try Self.okUpstream()
        defer { upstream.stop() }
        let executor = try HTTPExecutor(maximumConnections: 1, requestTimeout: 5_000_000_000)
        defer { executor.close() }
        let past = MonotonicClock.now() - 50_000_000
        let refused = HTTPExecutor.Rebooking(within: 1_000_000_000) { _ in nil }
        guard case .tooLate = await executor.send(Self.request(upstream, "/refused"), at: past, notAfter: past + 1_000_000, rebook: refused) else {
            Issue.record("a request that could not book again was not refused")
            return
        }
        let asked = Mutex(0)
        // Every new instant is already past its latest when the gate reaches it.
        let alwaysLate = HTTPExecutor.Rebooking(within: 1_000_000_000) { lateAt in
            asked.withLock { $0 += 1 }
            return (gate: lateAt - 10_000_000, notAfter: lateAt - 5_000_000)
        }
        guard case .tooLate = await executor.send(Self.request(upstream, "/late"), at: past, notAfter: past + 1_000_000, rebook: alwaysLate) else {
            Issue.record("a request late at every new instant was not refused")
            return
        }
        #expect(asked.withLock { $0 } == CurlTransfer.mostRebooks)
        #expect(upstream.requests.isEmpty)
    }
}
