import Glibc
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Testing
@testable import SluiceCluster

/// The block script against a real redis-server: blocks from one schedule
/// never overlap, keep the guard their bounds need, and expire when idle.
@Suite(.serialized) struct ScheduleScriptTests {
    static let ms: UInt64 = 1_000_000

    func run(_ client: RedisClient, key: String, count: UInt64, interval: UInt64, bound: UInt64) throws -> (ScheduleScript.Reply, RedisTime) {
        let reply = try client.evaluate(ScheduleScript.script, keys: [key], arguments: [count, interval, bound, ScheduleScript.idleTTL])
        let time = try client.time()
        return (try #require(ScheduleScript.Reply(reply)), time)
    }

    @Test func blocksFromOneSchedule_followEachOtherWithTheGuardTheirBoundsNeed() throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(parsing: server.url), options: RedisOptions(timeout: .seconds(2)))
        defer { client.close() }
        let key = "sluice:t:schedule:q"
        // Host A: 10 instants at 10 ms, bound 10 ms (no guard needed); B: bound 30 ms.
        let (a, _) = try run(client, key: key, count: 10, interval: 10 * Self.ms, bound: 10 * Self.ms)
        #expect(a.count == 10 && a.guard_ == 0 && a.offset < 5 * Self.ms, "an idle schedule starts now: \(a)")
        let (b, _) = try run(client, key: key, count: 5, interval: 10 * Self.ms, bound: 30 * Self.ms)
        #expect(b.guard_ == 10 * Self.ms, "(10 + 30) / 2 − 10 ms")
        // B's first instant is A's end plus the guard, measured from B's own call (≈ 100 ms + 10 ms ahead).
        #expect(b.offset > 100 * Self.ms && b.offset <= 110 * Self.ms, "\(b)")
        let ttl = try #require(server.cli(["PTTL", key]).flatMap { Int($0) })
        #expect(ttl > 60_000 && ttl <= 60_000 + 200, "expires a minute after its last instant: \(ttl) ms")
        let fields = server.cli(["HGETALL", key]) ?? ""
        #expect(fields.contains("epoch") && fields.contains("tat") && fields.contains("bound"))
    }

    @Test func aScheduleLeftIdle_startsAfreshAtNow() throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(parsing: server.url), options: RedisOptions(timeout: .seconds(2)))
        defer { client.close() }
        let key = "sluice:t:schedule:idle"
        _ = try run(client, key: key, count: 2, interval: 10 * Self.ms, bound: 10 * Self.ms)
        usleep(50_000)
        let (later, _) = try run(client, key: key, count: 2, interval: 10 * Self.ms, bound: 10 * Self.ms)
        #expect(later.offset == 0, "its last instant is past: now")
    }
}
