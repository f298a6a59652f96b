import Glibc
import SluiceConfig
import SluiceCore
import SluiceLimiter
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceCluster

/// Two agents and two segments in one process, on one redis-server: one
/// clock, so a hold's placement is judged exactly (it may only lengthen on
/// its way); waits are for an event, with a generous deadline, never a
/// judgement by timing.
@Suite(.serialized) struct AgentPropagationTests {
    /// The records an applier was given, with their lift.
    final class Applied: Sendable {
        private let list = Mutex<[(FleetRuntime, Bool)]>([])
        func append(_ entry: (FleetRuntime, Bool)) { list.withLock { $0.append(entry) } }
        func withLock<Value>(_ body: ([(FleetRuntime, Bool)]) -> Value) -> Value { list.withLock { body($0) } }
    }

    struct Host {
        let agent: ClusterAgent
        let handle: QueueHandle
        let exchange: RuntimeExchange
        let applied: Applied
    }

    /// Two hosts of one fleet, each with an exchange whose applier records what it is given.
    func hosts(_ redis: RedisServer) throws -> [Host] {
        let keyFleet = try FleetName(validating: UniqueName.fleet("p"))
        return try [ScratchFleet("pa"), ScratchFleet("pb")].enumerated().map { index, scratch in
            let segment = try Coordinator.create(fleet: FleetName(validating: scratch.name))
            let handle = try segment.register(queue: QueueName(validating: "q"),
                                              limits: QueueLimits(rate: GCRA.Limit(rate: try Rate(parsing: "50/s"), burst: 1)))
            let exchange = RuntimeExchange()
            let applied = Applied()
            exchange.setApplier { _, record, lifts in
                applied.append((record, lifts))
                return true
            }
            let agent = ClusterAgent(config: CoordinatorConfig(redis: try RedisEndpoint(parsing: redis.url)),
                                     identity: HostIdentity(name: "p\(index)", bootID: "noboot"), fleet: keyFleet, queues: [handle],
                                     password: nil, log: EventLog(component: "test", minimum: .error), runtime: exchange, backlog: { _ in 0 })
            return Host(agent: agent, handle: handle, exchange: exchange, applied: applied)
        }
    }

    @Test func aHoldOnOneHost_reachesTheOther_neverShorter() throws {
        let redis = try RedisServer()
        let hosts = try hosts(redis)
        for host in hosts { host.agent.start() }
        defer { for host in hosts { host.agent.stop() } }
        let (a, b) = (hosts[0], hosts[1])
        // Both in step with the fleet first (their first call reads the settings).
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { a.agent.status.snapshot.redisCalls > 0 && b.agent.status.snapshot.redisCalls > 0 })
        let until = MonotonicClock.now() + 3_000_000_000
        a.handle.pushBack(until: until)
        #expect(ChildProcessRunner.waitUntil(seconds: 2.5) { b.handle.pushedBackUntil > 0 }, "host B learns host A's hold")
        #expect(b.handle.pushedBackUntil >= until, "placed at the latest: never before host A's end (\(Int64(bitPattern: b.handle.pushedBackUntil &- until)) ns)")
        #expect(b.handle.pushedBackUntil < until + 200_000_000, "lengthened by round trips only")
        #expect(a.agent.status.snapshot.holdsPublished == 1 && b.agent.status.snapshot.holdsApplied == 1)
        #expect(b.handle.counterTotals.pushBacks == 0, "not counted as host B's own push-back")
        #expect(b.agent.status.snapshot.holdsPublished == 0, "host B does not publish back what it applied")
    }

    /// AIMD fleet-wide: a decrease one host's learning made after a 429 is
    /// counted in Redis and the other host lowers its rate too, once; the
    /// host that made it is not told its own back.
    @Test func aRateDecreaseOnOneHost_isAppliedByTheOther_once() throws {
        let redis = try RedisServer()
        let hosts = try hosts(redis)
        final class Count: Sendable {
            let value = Atomic<Int>(0)
            func load(ordering _: AtomicLoadOrdering) -> Int { value.load(ordering: .relaxed) }
        }
        let told = hosts.map { _ in Count() }
        for (index, host) in hosts.enumerated() {
            let count = told[index]
            host.exchange.setDecreaseApplier { _ in count.value.add(1, ordering: .relaxed) }
        }
        for host in hosts { host.agent.start() }
        defer { for host in hosts { host.agent.stop() } }
        let (a, b) = (hosts[0], hosts[1])
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { a.agent.status.snapshot.redisCalls > 0 && b.agent.status.snapshot.redisCalls > 0 })
        a.exchange.noteDecrease(try QueueName(validating: "q"))
        #expect(ChildProcessRunner.waitUntil(seconds: 3) { told[1].load(ordering: .relaxed) == 1 }, "host B lowers its rate")
        // Both hosts look again (at least one more call each) before the counts are judged.
        let (callsA, callsB) = (a.agent.status.snapshot.redisCalls, b.agent.status.snapshot.redisCalls)
        #expect(ChildProcessRunner.waitUntil(seconds: 3) {
            a.agent.status.snapshot.redisCalls > callsA + 1 && b.agent.status.snapshot.redisCalls > callsB + 1
        })
        #expect(told[1].load(ordering: .relaxed) == 1, "once")
        #expect(told[0].load(ordering: .relaxed) == 0, "host A is not told its own decrease")
        #expect(b.agent.status.snapshot.decreasesApplied == 1)
    }

    @Test func aChangePostedOnOneHost_isAppliedByTheOther_andALiftLiftsItsHold() throws {
        let redis = try RedisServer()
        let hosts = try hosts(redis)
        for host in hosts { host.agent.start() }
        defer { for host in hosts { host.agent.stop() } }
        let (a, b) = (hosts[0], hosts[1])
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { !a.applied.withLock(\.isEmpty) && !b.applied.withLock(\.isEmpty) },
                "each host's first call reads the settings")
        a.exchange.post(try QueueName(validating: "q"), RuntimeChange(paused: true))
        #expect(ChildProcessRunner.waitUntil(seconds: 3) { b.applied.withLock { $0.contains { $0.0.paused == true } } }, "host B got the pause")
        #expect(b.applied.withLock { $0.allSatisfy { !$0.1 } }, "a pause lifts nothing")
        a.exchange.post(try QueueName(validating: "q"), RuntimeChange(paused: false, liftsHold: true))
        #expect(ChildProcessRunner.waitUntil(seconds: 3) { b.applied.withLock { $0.contains { $0.0.paused == false && $0.1 } } },
                "host B got the resume, which lifts the hold")
        #expect(a.agent.status.snapshot.settingsWritten == 2 && b.agent.status.snapshot.settingsApplied == 2)
    }
}

extension AgentPropagationTests {
    /// Redis frozen (SIGSTOP) when the operator acts: the change stays with
    /// the host that took it, and reaches the other once Redis answers again.
    @Test func aChangeMadeWhileRedisIsFrozen_reachesTheOtherHostOnceItIsBack() throws {
        let redis = try RedisServer()
        let hosts = try hosts(redis)
        for host in hosts { host.agent.start() }
        defer { for host in hosts { host.agent.stop() } }
        let (a, b) = (hosts[0], hosts[1])
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { !a.applied.withLock(\.isEmpty) && !b.applied.withLock(\.isEmpty) })
        redis.pause()
        a.exchange.post(try QueueName(validating: "q"), RuntimeChange(paused: true))
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { !a.agent.status.snapshot.up }, "host A finds Redis frozen")
        #expect(a.exchange.isPending(try QueueName(validating: "q")), "the change waits to be written")
        redis.resume()
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { b.applied.withLock { $0.contains { $0.0.paused == true } } },
                "host B gets it once Redis is back")
        #expect(a.agent.status.snapshot.settingsWritten == 1, "written once")
    }
}
