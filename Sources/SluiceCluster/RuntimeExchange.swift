import SluiceCore
import Synchronization

/// Where the control plane and the host's agent meet over runtime changes.
///
/// Outward: an operator's set-rate, pause, resume (or reset) on this host is
/// applied to the segment and the overrides at once, then `post`ed here; the
/// agent writes it to Redis on its next look (`take`), and puts it back if
/// Redis does not answer, so it is written once Redis is back.
///
/// Inward: a record another host wrote reaches the agent in a script's
/// answer; the agent hands it to `apply` (the control plane's), which
/// applies it as if set here. Invariant: a record is never applied over a
/// change of this host's still waiting to be written (`isPending`, checked
/// under the same lock the control plane posts under), so an older record
/// cannot undo a newer local change; writing that change brings back the
/// merged record.
public final class RuntimeExchange: Sendable {
    /// Applies a record read from Redis to this host (`liftsHold`: another
    /// host's change lifted the fleet's hold since the last record); false
    /// when it was not applied because a change of this host waits to be
    /// written, which brings back a newer record.
    public typealias Applier = @Sendable (QueueName, FleetRuntime, _ liftsHold: Bool) -> Bool

    private let pending = Mutex<[QueueName: RuntimeChange]>([:])
    private let applier = Mutex<Applier?>(nil)
    /// Rate decreases this host's learning made (429s), not yet counted in Redis.
    private let decreases = Mutex<[QueueName: UInt64]>([:])
    private let decreaseApplier = Mutex<(@Sendable (QueueName) -> Void)?>(nil)

    public init() {}

    /// A change made on this host, to be written to Redis.
    public func post(_ queue: QueueName, _ change: RuntimeChange) {
        pending.withLock { $0[queue] = $0[queue].map { $0.followed(by: change) } ?? change }
    }

    /// Whether a change of `queue` waits to be written.
    public func isPending(_ queue: QueueName) -> Bool { pending.withLock { $0[queue] != nil } }

    /// Takes every change waiting to be written.
    func take() -> [QueueName: RuntimeChange] {
        pending.withLock { pending in
            defer { pending = [:] }
            return pending
        }
    }

    /// Puts back a change that could not be written, before any posted since.
    func putBack(_ queue: QueueName, _ change: RuntimeChange) {
        pending.withLock { $0[queue] = $0[queue].map { change.followed(by: $0) } ?? change }
    }

    /// Sets who applies records read from Redis (the control plane).
    public func setApplier(_ apply: @escaping Applier) { applier.withLock { $0 = apply } }

    // MARK: What a 429 taught

    /// This host's learning lowered `queue`'s rate after a 429: the agent
    /// counts it in Redis on its next call, and every other host lowers its
    /// rate too (AIMD fleet-wide; each climbs back on its own, on the same
    /// schedule).
    public func noteDecrease(_ queue: QueueName) { decreases.withLock { $0[queue, default: 0] += 1 } }

    /// Whether a decrease of `queue` waits to be counted.
    func hasDecreases(_ queue: QueueName) -> Bool { decreases.withLock { ($0[queue] ?? 0) > 0 } }

    /// Takes the decreases of `queue` waiting to be counted.
    func takeDecreases(_ queue: QueueName) -> UInt64 { decreases.withLock { $0.removeValue(forKey: queue) ?? 0 } }

    /// Puts back decreases Redis did not count.
    func putBackDecreases(_ queue: QueueName, _ count: UInt64) {
        guard count > 0 else { return }
        decreases.withLock { $0[queue, default: 0] += count }
    }

    /// Sets who lowers this host's rate when another host's 429 did (the control plane's learning).
    public func setDecreaseApplier(_ apply: @escaping @Sendable (QueueName) -> Void) { decreaseApplier.withLock { $0 = apply } }

    /// Another host's learning lowered `queue`'s rate.
    func applyDecrease(_ queue: QueueName) { decreaseApplier.withLock { $0 }?(queue) }

    /// Applies a record read from Redis; false when nothing applies them yet.
    func apply(_ queue: QueueName, _ record: FleetRuntime, liftsHold: Bool) -> Bool {
        guard let apply = applier.withLock({ $0 }) else { return false }
        return apply(queue, record, liftsHold)
    }
}
