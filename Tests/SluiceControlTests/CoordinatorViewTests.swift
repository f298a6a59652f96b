import Foundation
import SluiceCluster
import SluiceConfig
import SluiceJSON
import SluiceRedis
import Testing
@testable import SluiceCLI
@testable import SluiceControl

/// The coordinator as the operator's tools show it: the describe document's
/// `coordinator` (the API, `sluice queue describe --json`), its text for
/// people, and `sluice top`'s frame. Built from fixed snapshots, read back
/// through the JSON writer and parser as the CLI reads the API's answer.
@Suite struct CoordinatorViewTests {
    static func status(up: Bool = true, reason: String? = nil) -> ClusterStatus.Snapshot {
        var status = ClusterStatus.Snapshot()
        status.host = "sluice-1/0f8e6d2c1b3a4c5d9e7fa1b2c3d4e5f6"
        status.up = up
        status.reason = reason
        status.holdsPublished = 2
        status.holdsApplied = 5
        status.settingsWritten = 1
        status.settingsApplied = 3
        status.lastRoundTrip = 420_000
        return status
    }

    static func config(_ onUnavailable: CoordinatorConfig.OnUnavailable = .wait) throws -> CoordinatorConfig {
        CoordinatorConfig(redis: try RedisEndpoint(parsing: "redis://sluice-redis:6379/0"), onUnavailable: onUnavailable)
    }

    /// A describe document holding only what the views read besides the coordinator.
    static func queue(_ name: String, coordinator: CoordinatorDescription?) throws -> JSONObject {
        let document = JSONValue.object([
            ("name", .string(name)), ("provider", .string("stripe")),
            ("rate", .object([("configured", .string("90/s")), ("burst", .integer(1))])),
            ("paused", .bool(false)),
            ("workers", .object([("running", .integer(4)), ("desired", .integer(4))])),
            ("coordinator", coordinator?.json ?? .null),
        ])
        guard case .object(let object) = try JSONParser.parse(JSONWriter.bytes(document)) else {
            Issue.record("the document did not read back as an object")
            return JSONObject()
        }
        return object
    }

    @Test func describe_withACoordinatorUp_saysTheQueueIsLimitedAcrossHosts_andWhoThisHostIs() throws {
        let queue = try Self.queue("stripe-api", coordinator: CoordinatorDescription(config: Self.config(), status: Self.status(), acrossHosts: true))
        guard case .object(let coordinator)? = queue["coordinator"] else { Issue.record("no coordinator"); return }
        #expect(coordinator["acrossHosts"] == .bool(true) && coordinator["up"] == .bool(true) && coordinator["reason"] == .null)
        #expect(coordinator["redis"] == .string("redis://sluice-redis:6379/0"))
        #expect(coordinator["host"] == .string("sluice-1/0f8e6d2c1b3a4c5d9e7fa1b2c3d4e5f6"))
        #expect(coordinator["onUnavailable"] == .string("wait") && coordinator["maxHosts"] == .null)
        #expect(coordinator.integer(at: "holds", "published") == 2 && coordinator.integer(at: "holds", "applied") == 5)
        #expect(coordinator.integer(at: "settings", "written") == 1 && coordinator.integer(at: "settings", "applied") == 3)
        #expect(coordinator.double(at: "roundTripSeconds") == 0.00042)

        let text = QueueDescriptionText.render(queue)
        #expect(text.contains("across hosts    yes: the rate is one schedule in Redis for every host"), "\(text)")
        #expect(text.contains("coordinator     redis://sluice-redis:6379/0 up · host sluice-1/0f8e6d2c1b3a4c5d9e7fa1b2c3d4e5f6 · without Redis: wait · round trip 0.4 ms"), "\(text)")
        #expect(text.contains("fleet exchange  holds published 2 · applied 5 · runtime changes written 1 · applied 3"), "\(text)")
    }

    @Test func describe_withRedisDown_namesTheReason_andWhatTheHostDoesMeanwhile() throws {
        let reason = "coordinator: Redis at redis://sluice-redis:6379/0 cannot be used (timed out); once the instants reserved are used, this host sends at the rate ÷ 3 (onUnavailable: share)"
        let description = CoordinatorDescription(config: try Self.config(.share(maxHosts: 3)), status: Self.status(up: false, reason: reason), acrossHosts: true)
        let queue = try Self.queue("stripe-api", coordinator: description)
        #expect(queue.value(at: ["coordinator", "up"]) == .bool(false) && queue.value(at: ["coordinator", "reason"]) == .string(reason))
        #expect(queue.value(at: ["coordinator", "onUnavailable"]) == .string("share") && queue.integer(at: "coordinator", "maxHosts") == 3)
        let text = QueueDescriptionText.render(queue)
        #expect(text.contains("redis://sluice-redis:6379/0 DOWN: \(reason) · host sluice-1/"), "\(text)")
        #expect(text.contains("without Redis: share (rate ÷ 3)"), "\(text)")
    }

    @Test func describe_withoutACoordinator_saysTheLimitsAreThisHostsOnly() throws {
        let queue = try Self.queue("stripe-api", coordinator: nil)
        #expect(queue["coordinator"] == .null)
        let text = QueueDescriptionText.render(queue)
        #expect(text.contains("across hosts    no: this host's limits only (no coordinator)"), "\(text)")
        #expect(!text.contains("fleet exchange"))
    }

    @Test func describe_ofAnUnlimitedQueue_underACoordinator_saysItIsNotCoordinated() throws {
        let queue = try Self.queue("batch", coordinator: CoordinatorDescription(config: Self.config(), status: Self.status(), acrossHosts: false))
        #expect(queue.value(at: ["coordinator", "acrossHosts"]) == .bool(false))
        #expect(QueueDescriptionText.render(queue).contains("across hosts    no: the queue is unlimited, so not coordinated"))
    }

    @Test func top_withACoordinator_showsItsStateUnderTheTitle_andMarksQueuesItDoesNotCover() throws {
        let config = try Self.config()
        let queues: [JSONValue] = try [
            .object(Self.queue("stripe-api", coordinator: CoordinatorDescription(config: config, status: Self.status(up: false, reason: "coordinator: Redis at redis://sluice-redis:6379/0 cannot be used (refused)"), acrossHosts: true))),
            .object(Self.queue("batch", coordinator: CoordinatorDescription(config: config, status: Self.status(), acrossHosts: false))),
        ]
        let lines = TopScreen.frame(queues: queues, address: "127.0.0.1:9464", now: Date(timeIntervalSince1970: 0))
        #expect(lines.count == 6, "title, coordinator, blank, heading, two queues: \(lines)")
        #expect(lines[1].hasPrefix("coordinator redis://sluice-redis:6379/0 DOWN: coordinator: Redis at redis://sluice-redis:6379/0 cannot be used (refused) · host sluice-1/"), "\(lines[1])")
        #expect(lines[1].hasSuffix("holds published 2, applied 5"), "\(lines[1])")
        #expect(lines[4].hasPrefix("stripe-api") && !lines[4].contains("this host only"), "\(lines[4])")
        #expect(lines[5].hasPrefix("batch") && lines[5].hasSuffix("this host only"), "\(lines[5])")
    }

    @Test func top_withoutACoordinator_isTheTableAsBefore() throws {
        let lines = TopScreen.frame(queues: [.object(try Self.queue("stripe-api", coordinator: nil))], address: "127.0.0.1:9464", now: Date())
        #expect(lines.count == 4 && lines[1].isEmpty && lines[2].hasPrefix("QUEUE"), "\(lines)")
    }
}
