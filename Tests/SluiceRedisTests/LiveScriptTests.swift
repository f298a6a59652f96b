import SluiceRedis
import SluiceTestSupport
import Testing

extension LiveRedis {
    /// EVALSHA with the NOSCRIPT fallback: first use, after SCRIPT FLUSH, after a restart.
    @Suite struct Scripts {
        static let incrementBy = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

        /// How many times Redis was asked to run `command` (`calls`, which include
    /// the failed ones, plus `rejected_calls`), from INFO commandstats.
        static func calls(_ command: String, on redis: RedisConnection) throws -> Int {
            let info = try redis.send("INFO", "commandstats").string ?? ""
            guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_\(command):") }) else { return 0 }
            var total = 0
            for field in line.split(separator: ",") {
                let parts = field.split(separator: "=")
                if parts.count == 2, parts[0].hasSuffix(":calls") || parts[0] == "rejected_calls", let count = Int(parts[1]) { total += count }
            }
            return total
        }

        @Test func evaluate_loadsOnNoScript_thenRunsBySHA() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            _ = try redis.send("CONFIG", "RESETSTAT")
            #expect(try redis.evaluate(Self.incrementBy, keys: ["counter"], arguments: [10]) == .integer(10))
            #expect(try Self.calls("evalsha", on: redis) == 2, "NOSCRIPT, then the run")
            #expect(try Self.calls("script|load", on: redis) == 1)
            #expect(try redis.evaluate(Self.incrementBy, keys: ["counter"], arguments: [1]) == .integer(11))
            #expect(try Self.calls("evalsha", on: redis) == 3, "cached: one EVALSHA")
            #expect(try Self.calls("script|load", on: redis) == 1)
            #expect(try redis.send("SCRIPT", "FLUSH") == .simpleString("OK"))
            #expect(try redis.evaluate(Self.incrementBy, keys: ["counter"], arguments: [1]) == .integer(12), "ran once after the flush")
            #expect(try Self.calls("evalsha", on: redis) == 5)
            #expect(try Self.calls("script|load", on: redis) == 2)
        }

        @Test func evaluate_afterARestart_loadsAgain() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            #expect(try redis.evaluate(Self.incrementBy, keys: ["counter"], arguments: [5]) == .integer(5))
            try server.restart()
            #expect(try redis.evaluate(Self.incrementBy, keys: ["counter"], arguments: [5]) == .integer(5), "a fresh server, the script loaded again")
        }

        @Test func evaluate_aScriptThatDoesNotCompile_givesItsError() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            let error = Live.error { try redis.evaluate(RedisScript("return +")) }
            guard case .server(let refusal)? = error else {
                Issue.record("expected a compile error, got \(String(describing: error))")
                return
            }
            #expect(refusal.message.contains("Error compiling script"))
        }

        @Test func evalSHA_inAPipeline_afterLoad() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            try redis.load(Self.incrementBy)
            let results = redis.pipeline([.evalSHA(Self.incrementBy, keys: ["a"], arguments: [2]), .evalSHA(Self.incrementBy, keys: ["a"], arguments: [3])])
            #expect(results.map { try? $0.get() } == [.integer(2), .integer(5)])
        }

        @Test(arguments: ["return 1", "return redis.call('TIME')", "-- Ω ünïcödé\nreturn KEYS[1]", String(repeating: "-- a comment line\n", count: 100) + "return 1"])
        func sha1_isTheNameRedisGives(_ source: String) throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            let script = RedisScript(source)
            #expect(try redis.send(.scriptLoad(script)) == Live.bulk(script.sha1))
        }
    }
}
