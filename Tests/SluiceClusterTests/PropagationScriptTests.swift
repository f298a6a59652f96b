import Glibc
import SluiceLimiter
import SluicePOSIX
import SluiceRedis
import SluiceTestSupport
import Testing
@testable import SluiceCluster

/// Holds and runtime settings in the scripts, against a real redis-server:
/// a hold published as a duration comes back to every caller as what is
/// left of it, on Redis's clock, and no block starts inside it; a caller
/// behind on the settings gets them and no block; a written change bumps
/// the version, merges with the rest and lifts the hold.
@Suite(.serialized) struct PropagationScriptTests {
    static let ms: UInt64 = 1_000_000
    static let horizon: UInt64 = 1_000 * ms

    struct Keys {
        let schedule: String, hold: String, runtime: String
        init(_ name: String) { (schedule, hold, runtime) = ("t:schedule:\(name)", "t:hold:\(name)", "t:runtime:\(name)") }
    }

    func schedule(_ client: RedisClient, _ keys: Keys, count: UInt64, hold: UInt64 = 0, version: UInt64 = 0) throws -> ScheduleScript.Reply {
        let arguments = ScheduleScript.arguments(count: count, interval: 10 * Self.ms, bound: 10 * Self.ms, horizon: Self.horizon,
                                                 notBefore: 0, hold: hold, version: version)
        return try #require(ScheduleScript.Reply(try client.evaluate(ScheduleScript.script, keys: [keys.schedule, keys.hold, keys.runtime],
                                                                     arguments: arguments)))
    }

    func write(_ client: RedisClient, _ keys: Keys, _ change: RuntimeChange) throws -> FleetRuntime {
        try #require(RuntimeScript.record(try client.evaluate(RuntimeScript.script, keys: [keys.runtime, keys.hold],
                                                              arguments: RuntimeScript.arguments(change, host: "test"))))
    }

    func client(_ server: RedisServer) throws -> RedisClient {
        RedisClient(endpoint: try RedisEndpoint(parsing: server.url), options: RedisOptions(timeout: .seconds(2)))
    }

    @Test func aHoldPublishedByOneHost_isWhatIsLeftOfItForAnother_andNoBlockStartsInIt() throws {
        let server = try RedisServer()
        let (a, b) = (try client(server), try client(server))
        defer { a.close(); b.close() }
        let keys = Keys("held")
        // A schedule in use (its first block two horizons on), then past its blocks.
        _ = try schedule(a, keys, count: 1)
        usleep(2_100_000)
        let published = try schedule(a, keys, count: 0, hold: 600 * Self.ms)
        #expect(published.schedule == .none && published.holdLeft > 590 * Self.ms && published.holdLeft <= 601 * Self.ms, "\(published)")
        usleep(100_000)
        let seen = try schedule(b, keys, count: 2)
        #expect(seen.holdLeft > 400 * Self.ms && seen.holdLeft <= 501 * Self.ms, "about 500 ms left: \(seen.holdLeft)")
        guard case .block(let offset, _, _) = seen.schedule else {
            Issue.record("a hold within the horizon still gives a block: \(seen)")
            return
        }
        #expect(offset >= seen.holdLeft, "the block starts after the hold: \(offset) ≥ \(seen.holdLeft)")
        // A shorter hold does not shorten it; the key goes when the hold is over.
        let shorter = try schedule(b, keys, count: 0, hold: 10 * Self.ms)
        #expect(shorter.holdLeft > 400 * Self.ms, "holds only grow: \(shorter.holdLeft)")
        let ttl = try #require(server.cli(["PTTL", keys.hold]).flatMap { Int($0) })
        #expect(ttl > 0 && ttl <= 1_600, "expires a second after the hold ends: \(ttl) ms")
    }

    @Test func aHoldBeyondTheHorizon_refusesBlocksUntilItIsWithin() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let keys = Keys("long")
        _ = try schedule(client, keys, count: 0, hold: 5_000 * Self.ms)
        let reply = try schedule(client, keys, count: 3)
        guard case .full(let retryAfter) = reply.schedule else {
            Issue.record("held 5 s, a horizon of 1 s: no block \(reply)")
            return
        }
        #expect(retryAfter > 3_900 * Self.ms && retryAfter <= 4_000 * Self.ms, "ask again once the hold is a horizon away: \(retryAfter)")
        #expect(server.cli(["EXISTS", keys.schedule]) == "0", "a call with no block leaves no schedule: a first block still starts two horizons on")
    }

    @Test func aHostBehindOnTheSettings_getsThemAndNoBlock_thenBlocksAgain() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let keys = Keys("settings")
        let first = try schedule(client, keys, count: 0, version: .max)
        #expect(first.runtime == FleetRuntime() && first.version == 0, "a host's first call learns there is nothing: \(first)")
        let slow = FleetRuntime.RateSetting(rate: try Rate(parsing: "10/s"), burst: 1, replacedRate: "90/s", replacedBurst: 1)
        let written = try write(client, keys, RuntimeChange(rate: slow, liftsHold: true))
        #expect(written == FleetRuntime(version: written.version, rate: slow, lifts: 1))
        let time = try client.time()
        #expect(written.version > 0 && written.version <= UInt64(time.seconds) * 1_000_000 + UInt64(time.microseconds),
                "the version is Redis's clock at the write, in µs: \(written.version)")
        let paused = try write(client, keys, RuntimeChange(paused: true))
        #expect(paused == FleetRuntime(version: paused.version, rate: slow, paused: true, lifts: 1), "a pause keeps the rate set before")
        #expect(paused.version > written.version)
        let behind = try schedule(client, keys, count: 5, version: written.version)
        #expect(behind.schedule == .none && behind.runtime == paused, "no block at a rate or a state no longer in force: \(behind)")
        let upToDate = try schedule(client, keys, count: 5, version: paused.version)
        #expect(upToDate.runtime == nil && upToDate.version == paused.version)
        if case .block = upToDate.schedule {} else { Issue.record("up to date: a block \(upToDate)") }
        #expect(server.cli(["PTTL", keys.runtime]) == "-1", "runtime settings never expire")
    }

    @Test func aChangeThatLiftsTheHold_deletesIt() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let keys = Keys("lift")
        _ = try schedule(client, keys, count: 0, hold: 60_000 * Self.ms)
        let paused = try write(client, keys, RuntimeChange(paused: true))
        #expect(try schedule(client, keys, count: 0, version: paused.version).holdLeft > 59_000 * Self.ms, "a pause does not lift it")
        let resumed = try write(client, keys, RuntimeChange(paused: false, liftsHold: true))
        #expect(resumed.lifts == 1 && resumed.paused == false)
        #expect(try schedule(client, keys, count: 0, version: resumed.version).holdLeft == 0, "a resume does")
    }

    @Test func settingsAnotherProgramWrote_areSkipped_notAStop() throws {
        let server = try RedisServer()
        let client = try client(server)
        defer { client.close() }
        let keys = Keys("garbage")
        _ = server.cli(["HSET", keys.runtime, "version", "7", "rate", "fast", "burst", "x"])
        let reply = try schedule(client, keys, count: 3, version: 0)
        #expect(reply.unreadableSettings && reply.runtime == nil && reply.version == 7, "read as a reply, not an error: \(reply)")
        let next = try schedule(client, keys, count: 3, version: 7)
        if case .block = next.schedule {} else { Issue.record("once skipped, blocks again: \(next)") }
    }
}
