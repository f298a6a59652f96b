import Testing
@testable import SluiceRedis

/// Redis URLs as data: what each parses to, or which fix its error names.
@Suite struct RedisEndpointTests {
    static let valid: [(String, RedisEndpoint)] = [
        ("redis://127.0.0.1:6379/0", RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))),
        ("redis://localhost", RedisEndpoint(address: .tcp(host: "localhost", port: 6379))),
        ("redis://cache.internal:6380/3", RedisEndpoint(address: .tcp(host: "cache.internal", port: 6380), database: 3)),
        ("redis://sluice@10.0.0.5:6379/1", RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6379), user: "sluice", database: 1)),
        ("redis://[::1]:6379", RedisEndpoint(address: .tcp(host: "::1", port: 6379))),
        ("redis://[::1]", RedisEndpoint(address: .tcp(host: "::1", port: 6379))),
        ("redis://redis-0.redis.default.svc/", RedisEndpoint(address: .tcp(host: "redis-0.redis.default.svc", port: 6379))),
        ("unix:///run/redis/redis.sock", RedisEndpoint(address: .unix(path: "/run/redis/redis.sock"))),
        ("unix:///tmp/r.sock?db=2&user=app", RedisEndpoint(address: .unix(path: "/tmp/r.sock"), user: "app", database: 2)),
    ]

    @Test(arguments: valid)
    func parses(_ url: String, _ expected: RedisEndpoint) throws {
        let endpoint = try RedisEndpoint(parsing: url)
        #expect(endpoint == expected)
        #expect(try RedisEndpoint(parsing: endpoint.description) == endpoint, "description reads back")
    }

    /// (URL, a phrase its error must hold, a secret it must not).
    static let invalid: [(String, String, String?)] = [
        ("redis://:hunter2@127.0.0.1:6379", "password in the URL is refused", "hunter2"),
        ("redis://app:hunter2@127.0.0.1:6379/0", "supply the password through the coordinator's credential", "hunter2"),
        ("redis://app:hun@ter2@host", "password in the URL is refused", "ter2"),
        ("redis://host:hunter2", "port after the colon is not a number", "hunter2"),
        ("redis://host/0?password=hunter2", "query parameters are not read", "hunter2"),
        ("unix:///tmp/r.sock?password=hunter2", "password in the URL is refused", "hunter2"),
        ("rediss://host:6380", "TLS (rediss://) is not supported", nil),
        ("http://host:6379", "not a Redis scheme", nil),
        ("127.0.0.1:6379", "it has no scheme; write redis://", nil),
        ("redis://", "names no host", nil),
        ("redis://@host", "user before @ is empty", nil),
        ("redis://host:0", "not a number in 1…65535", nil),
        ("redis://host:70000", "not a number in 1…65535", nil),
        ("redis://host:", "not a number in 1…65535", nil),
        ("redis://host/abc", "database \"abc\" is not a number", nil),
        ("redis://host/0/1", "path must be the database number", nil),
        ("redis://::1:6379", "IPv6 address must be in brackets", nil),
        ("redis://[::1:6379", "no closing bracket", nil),
        ("redis://ho st", "not a host name", nil),
        ("redis://host#frag", "fragment", nil),
        ("unix://relative.sock", "absolute path after unix://", nil),
        ("unix:///tmp/r.sock?timeout=1", "unknown parameter \"timeout\"", nil),
        ("unix:///tmp/r.sock?db=x", "database \"x\" is not a number", nil),
        ("unix:///" + String(repeating: "d", count: 120), "at most 107", nil),
    ]

    @Test(arguments: invalid)
    func refuses(_ url: String, _ phrase: String, _ secret: String?) {
        do {
            let endpoint = try RedisEndpoint(parsing: url)
            Issue.record("accepted \(url) as \(endpoint)")
        } catch {
            #expect(error.description.contains(phrase), "\(error)")
            if let secret { #expect(!error.description.contains(secret), "the error repeats the secret: \(error)") }
        }
    }

    @Test func aPassword_printsRedactedEverywhere() {
        let password = RedisPassword("hunter2")
        #expect("\(password)" == "<redacted>")
        #expect(String(reflecting: password) == "<redacted>")
        var dumped = ""
        dump(password, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}

/// The reconnect delay as a table: failures in a row, the random draw, the wait.
@Suite struct ReconnectBackoffTests {
    static let ms: UInt64 = 1_000_000

    @Test(arguments: [
        (0, UInt32.max, UInt64(0)),            // nothing failed: no wait
        (1, 0, 5 * ms),                        // 10 ms, jittered down to half
        (1, UInt32.max, 10 * ms - 1),          // … or up to just under the whole
        (1, UInt32(1) << 31, 7_500_000),       // the middle
        (2, 0, 10 * ms),                       // doubles: 20 ms
        (7, 0, 320 * ms),                      // 640 ms
        (8, 0, 500 * ms),                      // 1,280 ms capped to 1 s
        (8, UInt32.max, 1000 * ms - 1),
        (1000, 0, 500 * ms),                   // no overflow however long it fails
        (Int.max, UInt32.max, 1000 * ms - 1),
    ])
    func delay(_ failures: Int, _ random: UInt32, _ expected: UInt64) {
        #expect(ReconnectBackoff().delay(afterFailures: failures, random: random) == expected)
    }
}
