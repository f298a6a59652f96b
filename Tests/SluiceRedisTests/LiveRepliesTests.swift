import Glibc
import SluiceRedis
import SluiceTestSupport
import Testing

extension LiveRedis {
    /// Every reply type as a real redis-server sends it, over TCP and a Unix socket.
    @Suite struct Replies {
        @Test func resp2_everyReplyType() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            #expect(try redis.send("SET", "k", "v") == .simpleString("OK"))
            #expect(try redis.send("GET", "missing") == .null, "null bulk string")
            #expect(try redis.send("GET", "k") == Live.bulk("v"))
            #expect(try redis.send("INCR", "n") == .integer(1))
            #expect(try redis.send("RPUSH", "list", "a", "b") == .integer(2))
            #expect(try redis.send("LRANGE", "list", 0, -1) == .array([Live.bulk("a"), Live.bulk("b")]))
            #expect(try redis.send("LRANGE", "missing", 0, -1) == .array([]), "empty array")
            #expect(try redis.send("BLPOP", "missing", "0.01") == .null, "null array (*-1)")
            #expect(try redis.send("EVAL", "return {1, {2, 'x'}, {}}", 0) == .array([.integer(1), .array([.integer(2), Live.bulk("x")]), .array([])]))
            #expect(try redis.send("EVAL", "return redis.status_reply('FINE')", 0) == .simpleString("FINE"))
            #expect(try redis.send("DEBUG", "PROTOCOL", "double") == Live.bulk("3.141"), "RESP2 sends a double as a bulk string")
            let refused = Live.error { try redis.send("EVAL", "return redis.error_reply('MYERR custom failure')", 0) }
            guard case .server(let error)? = refused else {
                Issue.record("expected a server error, got \(String(describing: refused))")
                return
            }
            #expect(error.code == "MYERR")
            #expect(error.command == "EVAL")
            let unknown = Live.error { try redis.send("NOSUCHCOMMAND", "secret-argument") }
            #expect(unknown?.description.contains("ERR unknown command") == true)
            #expect(try redis.send("PING") == .simpleString("PONG"), "an error reply leaves the connection usable")
        }

        @Test func resp2_binarySafeAndLarge() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            let everyByte = (0...255).map { UInt8($0) }
            #expect(try redis.send("SET", everyByte, everyByte) == .simpleString("OK"))
            #expect(try redis.send("GET", everyByte) == .bulkString(everyByte))
            let large = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            #expect(try redis.send("SET", "large", large) == .simpleString("OK"))
            #expect(try redis.send("GET", "large") == .bulkString(large))
        }

        @Test func resp3_everyReplyType() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, options: RedisOptions(timeout: .seconds(2), protocolVersion: .resp3))
            let expected: [(String, RESPValue)] = [
                ("string", Live.bulk("Hello World")),
                ("integer", .integer(12345)),
                ("double", .double(3.141)),
                ("bignum", .bigNumber("1234567999999999999999999999999999999")),
                ("null", .null),
                ("array", .array([.integer(0), .integer(1), .integer(2)])),
                ("set", .set([.integer(0), .integer(1), .integer(2)])),
                ("map", .map([RESPPair(.integer(0), .boolean(false)), RESPPair(.integer(1), .boolean(true)), RESPPair(.integer(2), .boolean(false))])),
                ("attrib", Live.bulk("Some real reply following the attribute")),
                ("push", Live.bulk("Some real reply following the push reply")),
                ("verbatim", .verbatimString(format: "txt", text: Array("This is a verbatim\nstring".utf8))),
                ("true", .boolean(true)),
                ("false", .boolean(false)),
            ]
            for (type, reply) in expected {
                #expect(try redis.send("DEBUG", "PROTOCOL", type) == reply, "DEBUG PROTOCOL \(type)")
            }
            _ = try redis.send("HSET", "h", "f", "v")
            #expect(try redis.send("HGETALL", "h") == .map([RESPPair(Live.bulk("f"), Live.bulk("v"))]))
            #expect(try redis.send("GET", "missing") == .null)
        }

        @Test func pipeline_repliesInOrder_errorsInPlace() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            let increments = redis.pipeline(Array(repeating: RedisCommand("INCR", "counter"), count: 1000))
            #expect(increments.map { try? $0.get() } == (1...1000).map { .integer(Int64($0)) })
            let mixed = redis.pipeline([
                RedisCommand("SET", "a", 1), RedisCommand("INCR", "a"), RedisCommand("LPUSH", "a", "x"), RedisCommand("GET", "a"),
            ])
            #expect(try mixed[0].get() == .simpleString("OK"))
            #expect(try mixed[1].get() == .integer(2))
            guard case .failure(.server(let wrongType)) = mixed[2] else {
                Issue.record("LPUSH on a string: \(mixed[2])")
                return
            }
            #expect(wrongType.code == "WRONGTYPE")
            #expect(try mixed[3].get() == Live.bulk("2"))
            #expect(redis.pipeline([]).isEmpty)
        }

        @Test func unixSocket_withDatabase() throws {
            let server = try RedisServer(listener: .unixSocket)
            let redis = try Live.connection(server, suffix: "?db=2")
            #expect(try redis.send("SET", "k", "on-2") == .simpleString("OK"))
            #expect(server.cli(["-n", "2", "GET", "k"]) == "on-2")
            #expect(server.cli(["-n", "0", "GET", "k"]) == "")
        }

        @Test func select_onEveryConnect() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, suffix: "/3")
            #expect(try redis.send("SET", "first", 1) == .simpleString("OK"))
            redis.close()
            #expect(try redis.send("SET", "second", 2) == .simpleString("OK"))
            #expect(server.cli(["-n", "3", "MGET", "first", "second"]) == "1\n2")
            #expect(server.cli(["-n", "0", "DBSIZE"]) == "0")
        }

        @Test func select_outOfRange_namesTheFix() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, suffix: "/99")
            let error = Live.error { try redis.send("PING") }
            guard case .notSent(.handshakeRefused(let command, _))? = error else {
                Issue.record("expected SELECT refused, got \(String(describing: error))")
                return
            }
            #expect(command == "SELECT")
            #expect(error?.description.contains("`databases` setting") == true)
        }

        @Test func clientName_isSetOnConnect() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server, options: RedisOptions(timeout: .seconds(2), clientName: "sluice-test"))
            #expect(try redis.send("CLIENT", "GETNAME") == Live.bulk("sluice-test"))
        }

        @Test func time_isRedisClock() throws {
            let server = try RedisServer()
            let redis = try Live.connection(server)
            let first = try redis.time()
            let second = try redis.time()
            #expect(first <= second)
            #expect(abs(first.seconds - Int64(Glibc.time(nil))) <= 5, "the server runs on this host: its clock is ours within seconds")
            #expect((0..<1_000_000).contains(first.microseconds))
            #expect(RedisTime(reply: .array([Live.bulk("12"), Live.bulk("5")])) == RedisTime(seconds: 12, microseconds: 5))
            #expect(RedisTime(reply: .array([Live.bulk("12"), Live.bulk("1000000")])) == nil)
            #expect(RedisTime(reply: .integer(12)) == nil)
            #expect(RedisTime(seconds: 12, microseconds: 5).description == "12.000005")
        }
    }
}
