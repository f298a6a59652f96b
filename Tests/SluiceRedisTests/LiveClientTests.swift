import SluiceRedis
import SluiceTestSupport
import Synchronization
import Testing

extension LiveRedis {
    /// A RedisClient shared by threads.
    @Suite struct Client {
        @Test func manyThreads_sharePool_repliesNeverCross() throws {
            let server = try RedisServer()
            let client = try Live.client(server, connections: 3)
            let threads = (0..<6).map { _ in
                Background.run { () -> [Int64] in
                    (0..<300).compactMap { _ in (try? client.send("INCR", "shared"))?.integer }
                }
            }
            let seen = threads.flatMap { $0.join() ?? [] }
            #expect(seen.sorted() == Array(1...1800), "every INCR's own reply, each once")
            #expect(try client.send("CLIENT", "LIST").string?.split(separator: "\n").count ?? 0 <= 3 + 1, "at most the pool's connections")
        }

        /// RedisClient's documentation example, as written there.
        @Test func theDocumentedExample_runs() throws {
            let server = try RedisServer(password: "pw")
            let secret = (reveal: { "pw" }, ())
            let redis = RedisClient(endpoint: try RedisEndpoint(parsing: server.url + "/0"),
                                    password: RedisPassword(secret.reveal()), connections: 2)
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            do {
                let total = try redis.evaluate(script, keys: ["sluice:demo"], arguments: [5]).integer
                let now = try redis.time()
                let replies = redis.pipeline([RedisCommand("GET", "a"), RedisCommand("GET", "b")])
                #expect(total == 5 && now.seconds > 0 && replies.count == 2)
            } catch .notSent(let why) {
                Issue.record("not sent: \(why)")
            } catch .outcomeUnknown(let why) {
                Issue.record("unknown: \(why)")
            } catch {
                Issue.record("\(error)")
            }
        }

        @Test func withConnection_runsCallsInARowOnOneConnection() throws {
            let server = try RedisServer()
            let client = try Live.client(server, connections: 2)
            let ids = client.withConnection { connection in
                [try? connection.send("CLIENT", "ID"), try? connection.send("CLIENT", "ID")]
            }
            #expect(ids[0] != nil && ids[0] == ids[1])
            #expect(try client.time().seconds > 0)
            #expect(try client.evaluate(RedisScript("return ARGV[1]"), arguments: ["x"]) == Live.bulk("x"))
        }
    }
}
