import Foundation
import SluiceConfig
import SluiceLimiter
import SluiceRedis
import Testing

/// The deployment files against the code they deploy: numbers written in
/// YAML and unit files that must follow constants in Swift (the segment's
/// size, the shutdown timeout, the listen port). A change to either side that
/// breaks the other fails here, not in production.
@Suite struct DeploymentManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The first `key: value` in `text` (YAML or a unit file's `Key=value`).
    static func value(of key: String, in text: String, separator: String = ": ") -> String? {
        text.split(separator: "\n").lazy
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix(key + separator) }
            .map { String($0.dropFirst(key.count + separator.count)) }
    }

    /// A manifest's lines, trimmed.
    static func lines(_ path: String) throws -> [String] {
        try text(path).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The container's `env`: each `- name:` followed by a `value:`.
    static func environment(_ lines: [String]) -> [String: String] {
        var environment: [String: String] = [:]
        for (line, next) in zip(lines, lines.dropFirst()) where line.hasPrefix("- name: ") && next.hasPrefix("value: ") {
            environment[String(line.dropFirst(8))] = String(next.dropFirst(7))
        }
        return environment
    }

    /// A Secret's `stringData`: key → value.
    static func stringData(_ path: String) throws -> [String: String] {
        try text(path).split(separator: "\n").drop { !$0.hasPrefix("stringData:") }.dropFirst()
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .reduce(into: [String: String]()) { keys, line in
                if let colon = line.firstIndex(of: ":") { keys[String(line[..<colon])] = String(line[line.index(after: colon)...].dropFirst()) }
            }
    }

    /// The ConfigMap's `sluice.json`: the block scalar's lines, unindented.
    static func configMapFleet() throws -> FleetConfig {
        let lines = try text("k8s/base/configmap.yaml").split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("sluice.json: |") })
        let json = lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }.map { $0.dropFirst(4) }.joined(separator: "\n")
        return try FleetConfig.parse(Array(json.utf8))
    }

    @Test func configMap_isAFleetConfigTheSupervisorAccepts() throws {
        let config = try Self.configMapFleet()
        #expect(!config.listen.isLoopback, "probes, the Service and Prometheus come from outside the pod")
        #expect(config.spoolRoot?.hasPrefix("/var/lib/sluice/") == true, "the spool lives on the PersistentVolumeClaim")
    }

    /// The ConfigMap names credentials, the StatefulSet points `NAME_FILE` at
    /// the Secret's mount, the Secret holds the keys: every credential the
    /// supervisor checks at start resolves through that wiring.
    @Test func secretAndEnvironment_resolveEveryCredentialTheConfigNames() throws {
        let config = try Self.configMapFleet()
        let statefulSet = try Self.lines("k8s/base/statefulset.yaml")
        let mount = "/run/secrets/sluice/"
        #expect(statefulSet.contains("mountPath: \(mount.dropLast())"))
        let keys = try Self.stringData("k8s/base/secret.example.yaml")
        try config.checkCredentials(environment: Self.environment(statefulSet)) { path in
            path.hasPrefix(mount) ? keys[String(path.dropFirst(mount.count))] : nil
        }
        #expect(config.adminToken != nil, "listening beyond loopback needs the admin token")
    }

    @Test func statefulSet_portIsTheConfiguredListenPort() throws {
        let config = try Self.configMapFleet()
        let port = try #require(Self.value(of: "containerPort", in: Self.text("k8s/base/statefulset.yaml")))
        #expect(port == "\(config.listen.port)")
    }

    @Test func statefulSet_graceOutlastsTheDrainAndItsEscalation() throws {
        let config = try Self.configMapFleet()
        let grace = try #require(Self.value(of: "terminationGracePeriodSeconds", in: Self.text("k8s/base/statefulset.yaml")).flatMap { UInt64($0) })
        // The supervisor SIGKILLs workers 3 s after shutdownTimeout; the kubelet must not kill it first.
        #expect(grace * 1_000_000_000 > config.shutdownTimeout + 3_000_000_000)
    }

    @Test func statefulSet_sharedMemoryVolumeHoldsTheSegment() throws {
        let limit = try #require(Self.value(of: "sizeLimit", in: Self.text("k8s/base/statefulset.yaml")))
        let mebibytes = try #require(limit.hasSuffix("Mi") ? Int(limit.dropLast(2)) : nil, "sizeLimit \(limit) in Mi")
        #expect(mebibytes << 20 >= SegmentLayout.default.segmentSize, "\(limit) < \(SegmentLayout.default.segmentSize) bytes")
    }

    @Test(arguments: ["systemd/sluice.service", "systemd/sluice-worker@.service"])
    func systemdUnit_stopTimeoutOutlastsTheDefaultDrain(unit: String) throws {
        let text = try Self.text(unit)
        let timeout = try #require(Self.value(of: "TimeoutStopSec", in: text, separator: "="))
        let seconds = try #require(timeout.hasSuffix("s") ? UInt64(timeout.dropLast()) : nil, "TimeoutStopSec \(timeout) in s")
        // The units run the config `make install` puts in /etc/sluice: the example.
        let installed = try FleetConfig.parse(Array(Self.text("examples/sluice.json").utf8))
        #expect(seconds * 1_000_000_000 > installed.shutdownTimeout + 3_000_000_000)
    }
}
