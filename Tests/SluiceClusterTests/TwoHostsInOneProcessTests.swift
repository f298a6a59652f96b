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

/// The protocol alone, at 2,000/s: two "hosts" (two segments, two agents)
/// in one process, sharing one redis-server, their "workers" threads that
/// claim granted instants and record them. One process means one clock, so
/// the bound is checked on the granted instants themselves, exactly.
@Suite(.serialized) struct TwoHostsInOneProcessTests {
    @Test func twoHostsAt2000PerSecond_grantWithinTheBound_touchingRedisRarely() throws {
        let redis = try RedisServer()
        let keyFleet = try FleetName(validating: UniqueName.fleet("k"))
        let rate = try Rate(parsing: "2000/s")
        let scratches = [ScratchFleet("h0"), ScratchFleet("h1")]
        var agents: [ClusterAgent] = []
        var handles: [QueueHandle] = []
        for (index, scratch) in scratches.enumerated() {
            let segment = try Coordinator.create(fleet: FleetName(validating: scratch.name))
            let handle = try segment.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: GCRA.Limit(rate: rate, burst: 1)))
            let agent = ClusterAgent(config: CoordinatorConfig(redis: try RedisEndpoint(parsing: redis.url)),
                                     identity: HostIdentity(name: "h\(index)", bootID: "noboot"), fleet: keyFleet, queues: [handle],
                                     password: nil, log: EventLog(component: "test", minimum: .warn), backlog: { _ in 1_000_000 })
            agents.append(agent)
            handles.append(handle)
        }
        for agent in agents { agent.start() }
        let starts = Mutex<[UInt64]>([])
        let stop = Atomic<Bool>(false)
        let workersPerHost = 16
        var threads: [PosixThread] = []
        for handle in handles {
            let entry = try #require(handle.claimGrantWaiterEntry())
            for _ in 0..<workersPerHost {
                threads.append(PosixThread.start {
                    var mine: [UInt64] = []
                    while !stop.load(ordering: .relaxed) {
                        switch handle.reserve(maxWait: 200_000_000) {
                        case .granted(let startAt):
                            MonotonicClock.sleep(until: startAt)
                            mine.append(startAt)
                        case .awaitingGrant:
                            handle.changeWaiting(entry, by: 1)
                            while !handle.hasUnclaimedGrants, !stop.load(ordering: .relaxed) { usleep(200) }
                            handle.changeWaiting(entry, by: -1)
                        default:
                            usleep(1_000)
                        }
                    }
                    starts.withLock { $0 += mine }
                })
            }
        }
        // A fresh schedule starts two horizons (2 s) on; then 3 s of starts.
        let seconds = 3.0
        usleep(UInt32((seconds + 2) * 1e6))
        stop.store(true, ordering: .relaxed)
        for thread in threads { thread.join() }
        for agent in agents { agent.stop() }
        let instants = starts.withLock { $0 }.sorted()
        let calls = agents.reduce(UInt64(0)) { $0 + $1.status.snapshot.redisCalls }
        // The first and last 0.5 s aside (start-up, and threads stopping).
        let from = instants[0] + 500_000_000, to = instants[0] + UInt64((seconds - 0.5) * 1e9)
        let steady = instants.filter { $0 >= from && $0 < to }
        let achieved = Double(steady.count) / (Double(to - from) / 1e9)
        let interval = rate.interval
        var worst = (window: UInt64(0), count: 0, allowed: 0)
        for window in [interval, 10 * interval, 100_000_000, 1_000_000_000] as [UInt64] {
            var first = 0
            var busiest = 0
            for last in instants.indices {
                while instants[last] - instants[first] >= window { first += 1 }
                busiest = max(busiest, last - first + 1)
            }
            // Half-open windows of W hold at most W / interval + 1 (burst 1).
            let allowed = Int((window + interval - 1) / interval) + 1
            if busiest - allowed > worst.count - worst.allowed { worst = (window, busiest, allowed) }
            #expect(busiest <= allowed, "window \(window) ns: \(busiest) granted starts, \(allowed) allowed")
        }
        let perAdmission = Double(calls) / Double(instants.count)
        let passed = handles.map(\.grantsPassedUnused), granted = handles.map(\.grantsPublished)
        let discarded = agents.map { $0.status.snapshot.blocksDiscarded }, blocks = agents.map { $0.status.snapshot.blocksGranted }
        let trimmed = agents.map { $0.status.snapshot.instantsTrimmed }
        FileHandleLine.write("granted \(granted), passed unused \(passed), blocks \(blocks), discarded \(discarded), trimmed \(trimmed)")
        FileHandleLine.write("two hosts in one process at 2000/s: \(instants.count) starts, \(String(format: "%.1f", achieved))/s in the steady 2 s (\(String(format: "%.2f", achieved / 20))%), \(calls) Redis calls = \(String(format: "%.4f", perAdmission)) per admission; tightest window \(worst.window / 1_000) µs: \(worst.count) of \(worst.allowed)")
        #expect(perAdmission <= 0.05, "Redis touched at most once per 20 admissions at 2,000/s")
        // 96–98% measured; threads of one process on 2 shared cores wake late
        // under load, and an instant more than 1 ms past passes unused.
        #expect(achieved >= 2_000 * 0.9, "the two hosts together reach the rate")
    }
}

extension TwoHostsInOneProcessTests {
    @Test func redisRestartedEmpty_grantsNothingExtra_acrossTheRestart() throws {
        let redis = try RedisServer()
        let keyFleet = try FleetName(validating: UniqueName.fleet("k"))
        let rate = try Rate(parsing: "200/s")
        let scratches = [ScratchFleet("r0"), ScratchFleet("r1")]
        var agents: [ClusterAgent] = []
        var handles: [QueueHandle] = []
        for (index, scratch) in scratches.enumerated() {
            let segment = try Coordinator.create(fleet: FleetName(validating: scratch.name))
            let handle = try segment.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: GCRA.Limit(rate: rate, burst: 1)))
            agents.append(ClusterAgent(config: CoordinatorConfig(redis: try RedisEndpoint(parsing: redis.url)),
                                       identity: HostIdentity(name: "r\(index)", bootID: "noboot"), fleet: keyFleet, queues: [handle],
                                       password: nil, log: EventLog(component: "test", minimum: .error), backlog: { _ in 1_000_000 }))
            handles.append(handle)
        }
        for agent in agents { agent.start() }
        let starts = Mutex<[UInt64]>([])
        let stop = Atomic<Bool>(false)
        var threads: [PosixThread] = []
        for handle in handles {
            let entry = try #require(handle.claimGrantWaiterEntry())
            for _ in 0..<8 {
                threads.append(PosixThread.start {
                    var mine: [UInt64] = []
                    while !stop.load(ordering: .relaxed) {
                        switch handle.reserve(maxWait: 200_000_000) {
                        case .granted(let startAt):
                            MonotonicClock.sleep(until: startAt)
                            mine.append(startAt)
                        case .awaitingGrant:
                            handle.changeWaiting(entry, by: 1)
                            while !handle.hasUnclaimedGrants, !stop.load(ordering: .relaxed) { usleep(500) }
                            handle.changeWaiting(entry, by: -1)
                        default:
                            usleep(2_000)
                        }
                    }
                    starts.withLock { $0 += mine }
                })
            }
        }
        usleep(3_500_000)                    // 2 s until the fresh schedule starts, then 1.5 s at the rate
        try redis.restart()
        let restartedAt = MonotonicClock.now()
        usleep(4_500_000)                    // what was held, a pause of up to two horizons, the rate again
        stop.store(true, ordering: .relaxed)
        for thread in threads { thread.join() }
        for agent in agents { agent.stop() }
        let instants = starts.withLock { $0 }.sorted()
        let interval = rate.interval
        var verdicts: [String] = []
        for window in [interval, 10 * interval, 100_000_000, 1_000_000_000] as [UInt64] {
            var first = 0, busiest = 0
            for last in instants.indices {
                while instants[last] - instants[first] >= window { first += 1 }
                busiest = max(busiest, last - first + 1)
            }
            let allowed = Int((window + interval - 1) / interval) + 1
            verdicts.append("\(window / 1_000_000) ms: \(busiest) of \(allowed)")
            #expect(busiest <= allowed, "window \(window) ns: \(busiest) granted starts, \(allowed) allowed")
        }
        let timeline = (0..<16).map { step in instants.filter { $0 >= restartedAt + UInt64(step) * 250_000_000 && $0 < restartedAt + UInt64(step + 1) * 250_000_000 }.count }
        let calls = agents.map { $0.status.snapshot.redisCalls }, failures = agents.map { $0.status.snapshot.failedCalls }
        FileHandleLine.write("per 250 ms from the restart: \(timeline); calls \(calls), failed \(failures)")
        let before = instants.filter { $0 < restartedAt }.count
        let after = instants.filter { $0 >= restartedAt + 3_500_000_000 }.count
        FileHandleLine.write("Redis restarted empty between two hosts at 200/s: \(before) starts before, \(after) in the last second; busiest windows \(verdicts.joined(separator: ", "))")
        #expect(before >= 200 && after >= 100, "granting before the restart, and again after it (200 a second unloaded)")
    }
}

enum FileHandleLine {
    static func write(_ line: String) {
        let text = "cluster: \(line)\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
