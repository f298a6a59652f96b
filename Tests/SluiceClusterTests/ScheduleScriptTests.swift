import Glibc
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Testing
@testable import SluiceCluster

/// The block script against a real redis-server: blocks from one schedule
/// never overlap, keep the guard their bounds need, stay within a horizon,
/// start a horizon on when the schedule is not there, and expire when idle.
@Suite(.serialized) struct ScheduleScriptTests {
    static let ms: UInt64 = 1_000_000
    static let horizon: UInt64 = 1_000 * ms

    func run(_ client: RedisClient, key: String, count: UInt64, interval: UInt64, bound: UInt64,
             hold: UInt64 = 0, version: UInt64 = 0) throws -> ScheduleScript.Reply {
        let arguments = ScheduleScript.arguments(count: count, interval: interval, bound: bound, horizon: Self.horizon, notBefore: 0,
                                                 hold: hold, version: version)
        let reply = try client.evaluate(ScheduleScript.script, keys: [key, key + ":hold", key + ":runtime"], arguments: arguments)
        return try #require(ScheduleScript.Reply(reply))
    }

    func block(_ reply: ScheduleScript.Reply) -> (offset: UInt64, count: UInt64, guard_: UInt64)? {
        if case .block(let offset, let count, let guard_) = reply.schedule { (offset, count, guard_) } else { nil }
    }

    func client(_ server: RedisServer) throws -> RedisClient {
        RedisClient(endpoint: try RedisEndpoint(parsing: server.url), options: RedisOptions(timeout: .seconds(2)))
    }

    @Test func blocksFromOneSchedule_followEachOtherWithTheGuardTheirBoundsNeed() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let key = "sluice:t:schedule:q"
        // Host A: 10 instants at 10 ms, bound 10 ms (no guard needed); B: bound 30 ms.
        let a = try #require(block(try run(client, key: key, count: 10, interval: 10 * Self.ms, bound: 10 * Self.ms)))
        #expect(a.count == 10 && a.offset == 2 * Self.horizon, "a schedule Redis does not hold starts two horizons on: \(a)")
        usleep(1_200_000)   // A's block now starts within the horizon
        let b = try #require(block(try run(client, key: key, count: 5, interval: 10 * Self.ms, bound: 30 * Self.ms)))
        #expect(b.guard_ == 10 * Self.ms, "(10 + 30) / 2 − 10 ms")
        #expect(b.offset <= 910 * Self.ms && b.offset > 850 * Self.ms, "A's end plus the guard, 1.2 s later: \(b)")
        let ttl = try #require(server.cli(["PTTL", key]).flatMap { Int($0) })
        #expect(ttl > 3_600_000 && ttl <= 3_601_000, "expires an hour after its last instant: \(ttl) ms")
        let fields = server.cli(["HGETALL", key]) ?? ""
        #expect(fields.contains("epoch") && fields.contains("tat") && fields.contains("bound"))
    }

    @Test func aScheduleBookedAHorizonAhead_refusesAndSaysWhenToAskAgain() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let key = "sluice:t:schedule:full"
        _ = try run(client, key: key, count: 50, interval: 10 * Self.ms, bound: 10 * Self.ms)   // 2 s … 2.5 s ahead
        guard case .full(let retryAfter) = try run(client, key: key, count: 5, interval: 10 * Self.ms, bound: 10 * Self.ms).schedule else {
            Issue.record("booked beyond the horizon")
            return
        }
        #expect(retryAfter > 1_490 * Self.ms && retryAfter <= 1_500 * Self.ms, "\(retryAfter)")
    }

    @Test func aScheduleLeftIdle_continuesAtNow_andOneLostStartsAHorizonOn() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let key = "sluice:t:schedule:idle"
        _ = try run(client, key: key, count: 1, interval: 10 * Self.ms, bound: 10 * Self.ms)
        usleep(2_100_000)
        let later = try #require(block(try run(client, key: key, count: 2, interval: 10 * Self.ms, bound: 10 * Self.ms)))
        #expect(later.offset == 0, "its last instant is past: now")
        try server.restart()
        let client2 = try self.client(server)
        defer { client2.close() }
        let afresh = try #require(block(try run(client2, key: key, count: 2, interval: 10 * Self.ms, bound: 10 * Self.ms)))
        #expect(afresh.offset == 2 * Self.horizon, "Redis restarted empty: past every instant handed out before")
    }
}
