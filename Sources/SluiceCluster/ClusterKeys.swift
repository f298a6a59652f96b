import SluiceCore
import SluiceLimiter

/// The names of a fleet's keys in Redis: every one starts with
/// `sluice:<fleet>:`, so two fleets can share one Redis (and a Redis ACL can
/// confine a fleet to `~sluice:<fleet>:*`).
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String

    public init(fleet: FleetName) { prefix = "sluice:\(fleet.rawValue):" }

    /// The queue's one schedule (a hash; see `ScheduleScript`).
    public func schedule(_ queue: QueueName) -> String { prefix + "schedule:" + queue.rawValue }
}

extension ClusterKeys {
    /// The fleet's hold on the queue: until when (Redis's clock, µs) every
    /// host waits after one was told to (a 429). Expires when it ends.
    public func hold(_ queue: QueueName) -> String { prefix + "hold:" + queue.rawValue }

    /// The queue's runtime settings (a hash; see `FleetRuntime`). Never expires.
    public func runtime(_ queue: QueueName) -> String { prefix + "runtime:" + queue.rawValue }
}
