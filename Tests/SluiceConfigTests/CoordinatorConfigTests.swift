import SluiceRedis
import Testing
@testable import SluiceConfig

/// The fleet's `coordinator` block: every field, its defaults, and a refusal
/// per mistake that names the field and the fix.
@Suite struct CoordinatorConfigTests {
    func parse(_ coordinator: String) throws(ConfigError) -> FleetConfig {
        try FleetConfig.parse(Array(#"{"fleet": "prod", "coordinator": \#(coordinator), "queues": {"p": {"provider": "stripe", "rate": "90/s"}}}"#.utf8))
    }

    func refusal(_ coordinator: String) -> ConfigError? {
        do {
            _ = try parse(coordinator)
            Issue.record("accepted: \(coordinator)")
            return nil
        } catch {
            return error
        }
    }

    @Test func noBlock_meansNoCoordinator() throws {
        let config = try FleetConfig.parse(Array(#"{"queues": {"p": {"provider": "stripe", "rate": "90/s"}}}"#.utf8))
        #expect(config.coordinator == nil)
    }

    @Test func minimalBlock_getsTheDefaults() throws {
        let coordinator = try #require(try parse(#"{"redis": "redis://10.0.0.5:6380/2"}"#).coordinator)
        #expect(coordinator.redis == RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6380), database: 2))
        #expect(coordinator.credential == nil && coordinator.host == nil)
        #expect(coordinator.onUnavailable == .wait && coordinator.callTimeout == 100_000_000)
    }

    @Test func fullBlock_decodesEveryField() throws {
        let coordinator = try #require(try parse("""
            {"redis": "unix:///run/redis/redis.sock?db=1&user=sluice", "credential": "SLUICE_REDIS_PASSWORD",
             "host": "sluice-0", "onUnavailable": "share", "maxHosts": 3, "timeout": "250ms"}
            """).coordinator)
        #expect(coordinator.redis == RedisEndpoint(address: .unix(path: "/run/redis/redis.sock"), user: "sluice", database: 1))
        #expect(coordinator.credential == CredentialSource(name: "SLUICE_REDIS_PASSWORD") && coordinator.host == "sluice-0")
        #expect(coordinator.onUnavailable == .share(maxHosts: 3) && coordinator.callTimeout == 250_000_000)
    }

    @Test(arguments: [
        // (block, the path the refusal names, words the message must hold)
        (#"{}"#, "coordinator.redis", "is required"),
        (#"{"redis": "http://x:6379"}"#, "coordinator.redis", "not a Redis scheme"),
        (#"{"redis": "redis://:hunter2@x:6379"}"#, "coordinator.redis", "password in the URL is refused"),
        (#"{"redis": "redis://x", "credential": "my-pass"}"#, "coordinator.credential", "must name a credential"),
        (#"{"redis": "redis://x", "host": "a b"}"#, "coordinator.host", "is not a host name"),
        (#"{"redis": "redis://x", "onUnavailable": "share"}"#, "coordinator.onUnavailable", "needs \"maxHosts\""),
        (#"{"redis": "redis://x", "maxHosts": 3}"#, "coordinator.maxHosts", "only with \"onUnavailable\": \"share\""),
        (#"{"redis": "redis://x", "onUnavailable": "local"}"#, "coordinator.onUnavailable", "is not a choice"),
        (#"{"redis": "redis://x", "onUnavailable": "share", "maxHosts": 0}"#, "coordinator.maxHosts", "not in 1…1024"),
        (#"{"redis": "redis://x", "timeout": "10s"}"#, "coordinator.timeout", "too long"),
        (#"{"redis": "redis://x", "redis_url": "redis://y"}"#, "coordinator.redis_url", "is not a known field"),
        (#""redis://x""#, "coordinator", "must be an object"),
    ])
    func mistake_isRefusedNamingTheFieldAndTheFix(block: String, path: String, words: String) {
        guard let error = refusal(block) else { return }
        #expect(error.path == path, "\(error)")
        #expect(error.message.contains(words), "\(error)")
    }

    @Test func passwordInTheURL_neverReachesTheError() {
        let error = refusal(#"{"redis": "redis://user:hunter2@x:6379"}"#)
        #expect(error.map { !"\($0)".contains("hunter2") } == true, "\(String(describing: error))")
    }

    @Test func missingRedisPassword_stopsTheStartNamingTheField() throws {
        let config = try parse(#"{"redis": "redis://x", "credential": "SLUICE_REDIS_PASSWORD"}"#)
        let environment = ["STRIPE_API_KEY": "sk"]
        #expect(throws: ConfigError.self) { try config.checkCredentials(environment: environment, readFile: { _ in nil }) }
        do {
            try config.checkCredentials(environment: environment, readFile: { _ in nil })
        } catch {
            #expect(error.path == "coordinator.credential" && error.message.contains("SLUICE_REDIS_PASSWORD"))
        }
        try config.checkCredentials(environment: environment.merging(["SLUICE_REDIS_PASSWORD": "pw"]) { $1 }, readFile: { _ in nil })
    }

    @Test(arguments: [
        // (configured, environment, hostname, expected name)
        ("sluice-0", ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "POD_NAME": "pod-7"], "box", "sluice-0"),
        (nil, ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "POD_NAME": "pod-7", "HOSTNAME": "h"], "box", "pod-7"),
        (nil, ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "sluice-2"], "box", "sluice-2"),
        (nil, ["POD_NAME": "pod-7"], "box", "box"),          // not under Kubernetes: the hostname
        (nil, [:], "bad name!", "unnamed"),
    ] as [(String?, [String: String], String, String)])
    func hostName_isTheConfiguredThenThePodThenTheHostname(configured: String?, environment: [String: String], hostname: String, expected: String) {
        let identity = HostIdentity.resolve(configured: configured, environment: environment,
                                            readFile: { _ in "0b5d2f6e-1c3a-4e7f-9a8b-7c6d5e4f3a2b\n" }, hostname: { hostname })
        #expect(identity.name == expected)
        #expect(identity.bootID == "0b5d2f6e1c3a4e7f9a8b7c6d5e4f3a2b")
    }

    @Test func unreadableBootID_isSaidSo() {
        let identity = HostIdentity.resolve(configured: "a", environment: [:], readFile: { _ in nil }, hostname: { nil })
        #expect(identity.description == "a/noboot")
    }
}
