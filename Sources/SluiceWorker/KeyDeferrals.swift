import SluiceCore
import Synchronization

/// When each busy key's tasks this worker deferred come back, so that many
/// tasks for one key come back one per key interval, not all at the instant
/// the key frees up (where one is sent and the rest are claimed and deferred
/// again: 1,900 deferrals a second for a key sending 1 a second).
///
/// Per worker, in memory: with W workers, at most W tasks of a key return
/// together. Entries past their instant are forgotten as the table grows.
final class KeyDeferrals: Sendable {
    private let next = Mutex<[String: UInt64]>([:])
    static let pruneAbove = 10_000

    /// The delay (ns from `now`) to defer a task of `key` by: at least
    /// `earliest`, and one `interval` after the last task of the key deferred here.
    func delay(key: String, earliest: UInt64, interval: UInt64, now: UInt64) -> UInt64 {
        next.withLock { next in
            if next.count > Self.pruneAbove { next = next.filter { $0.value > now } }
            let due = max(now.addingSaturated(earliest), (next[key] ?? 0).addingSaturated(interval))
            next[key] = due
            return due - now
        }
    }
}
