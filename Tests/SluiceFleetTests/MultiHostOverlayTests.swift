import Foundation
import SluiceConfig
import SluiceRedis
import Testing

/// k8s/overlays/multi-host against the code it configures: its sluice.json
/// is a configuration `sluice run` accepts, with a coordinator that reaches
/// the overlay's Redis, a password every replica can read, and a host
/// identity that differs from pod to pod. `make verify-k8s` checks the
/// manifests' schema and that the rendering carries this sluice.json.
@Suite struct MultiHostOverlayTests {
    static let overlay = "k8s/overlays/multi-host/"

    static func fleet() throws -> FleetConfig {
        try FleetConfig.parse(Array(DeploymentManifestTests.text(overlay + "sluice.json").utf8))
    }

    /// The integer after `key: ` on the first line that has it.
    static func integer(_ key: String, in path: String) throws -> Int? {
        try DeploymentManifestTests.value(of: key, in: DeploymentManifestTests.text(path)).flatMap { Int($0) }
    }

    @Test func sluiceJSON_isAFleetConfigWithACoordinatorThatWaits() throws {
        let config = try Self.fleet()
        let coordinator = try #require(config.coordinator, "the overlay exists to name a coordinator")
        #expect(coordinator.onUnavailable == .wait)
        #expect(coordinator.credential?.name == "SLUICE_REDIS_PASSWORD")
        #expect(coordinator.host == nil, "a host named in the shared config would be every replica's: each takes its pod's name")
        // Everything else as the base has it: the same listener, spool, fleet and queues.
        let base = try DeploymentManifestTests.configMapFleet()
        #expect(config.fleet == base.fleet)
        #expect(config.listen == base.listen)
        #expect(config.spoolRoot == base.spoolRoot)
        #expect(config.queues.map(\.name) == base.queues.map(\.name))
        #expect(config.queues.map(\.rate) == base.queues.map(\.rate), "with a coordinator each rate is the fleet's: not divided")
    }

    /// Per-key and weighted limits and `maxConcurrent` are each host's own
    /// (docs/deployment.md, "Scaling"): the overlay divides the base's by its
    /// replicas, so three pods together stay within them.
    @Test func limitsNotSharedAcrossHosts_areTheBasesDividedByTheReplicas() throws {
        let count = try Self.integer("count", in: Self.overlay + "kustomization.yaml")
        let replicas = try #require(count)
        #expect(replicas == 3)
        // Intervals are rounded up to the nanosecond: the base's, times the
        // replicas, may be up to `replicas` ns longer than the divided rate's.
        let slack = UInt64(replicas)
        let base = try Dictionary(uniqueKeysWithValues: DeploymentManifestTests.configMapFleet().queues.map { ($0.name, $0) })
        for queue in try Self.fleet().queues {
            let original = try #require(base[queue.name])
            #expect(queue.maxConcurrent * replicas <= original.maxConcurrent, "\(queue.name): maxConcurrent")
            if let perKey = queue.perKey, let basePerKey = original.perKey {
                #expect(perKey.rate.interval + slack >= basePerKey.rate.interval * UInt64(replicas), "\(queue.name): perKey rate")
            }
            for (weighted, baseWeighted) in zip(queue.weighted, original.weighted) {
                #expect(weighted.rate.interval + slack >= baseWeighted.rate.interval * UInt64(replicas), "\(queue.name): \(weighted.name) rate")
                #expect(weighted.burst * UInt64(replicas) <= baseWeighted.burst, "\(queue.name): \(weighted.name) burst")
            }
        }
    }

    @Test func coordinator_pointsAtTheOverlaysRedisService() throws {
        let redis = try #require(Self.fleet().coordinator?.redis)
        let manifest = try DeploymentManifestTests.text(Self.overlay + "redis.yaml")
        let service = try #require(manifest.components(separatedBy: "\n---\n").first { $0.contains("kind: Service\n") })
        let name = try #require(DeploymentManifestTests.value(of: "name", in: service))
        let port = try #require(DeploymentManifestTests.value(of: "port", in: service).flatMap { UInt16($0) })
        #expect(redis.address == .tcp(host: name, port: port))
        #expect(manifest.contains("containerPort: \(port)") && manifest.contains("port \(port)\n"), "redis.conf and the container listen where the Service sends")
    }

    /// As `sluice run` checks at start: every credential the overlay's config
    /// names resolves through the base's and the patch's `NAME_FILE`
    /// variables to a key of the base's Secret or of the Redis Secret.
    @Test func credentials_resolveThroughTheBaseAndThePatch() throws {
        let config = try Self.fleet()
        let patch = try DeploymentManifestTests.lines(Self.overlay + "statefulset-coordinator.yaml")
        var environment = try DeploymentManifestTests.environment(DeploymentManifestTests.lines("k8s/base/statefulset.yaml"))
        environment.merge(DeploymentManifestTests.environment(patch)) { _, patched in patched }
        let mounts = [
            "/run/secrets/sluice/": try DeploymentManifestTests.stringData("k8s/base/secret.example.yaml"),
            "/run/secrets/sluice-redis/": try DeploymentManifestTests.stringData(Self.overlay + "redis-secret.example.yaml"),
        ]
        #expect(patch.contains("mountPath: /run/secrets/sluice-redis"))
        #expect(environment["SLUICE_REDIS_PASSWORD_FILE"]?.hasPrefix("/run/secrets/sluice-redis/") == true)
        try config.checkCredentials(environment: environment) { path in
            mounts.first { path.hasPrefix($0.key) }.flatMap { $0.value[String(path.dropFirst($0.key.count))] }
        }
        // The Redis pod reads the password from the same key.
        #expect(try DeploymentManifestTests.text(Self.overlay + "redis.yaml").contains("/run/secrets/sluice-redis/SLUICE_REDIS_PASSWORD"))
    }

    /// The patch sets POD_NAME from the pod's own name, and HostIdentity takes
    /// it under Kubernetes: sluice-0, sluice-1 and sluice-2 are three holders.
    @Test func hostIdentity_isEachPodsName() throws {
        let patch = try DeploymentManifestTests.lines(Self.overlay + "statefulset-coordinator.yaml")
        let entry = try #require(patch.firstIndex(of: "- name: POD_NAME"))
        #expect(patch[entry...].prefix(4).contains("fieldPath: metadata.name"))
        let configured = try Self.fleet().coordinator?.host
        let names = (0..<3).map { index in
            HostIdentity.resolve(configured: configured,
                                 environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "POD_NAME": "sluice-\(index)"],
                                 readFile: { _ in "0f8e6d2c-1b3a-4c5d-9e7f-a1b2c3d4e5f6\n" }, hostname: { "node-a" }).name
        }
        #expect(names == ["sluice-0", "sluice-1", "sluice-2"])
    }
}
