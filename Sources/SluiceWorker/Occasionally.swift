import Synchronization

/// Says yes at most once per `every` ns: for a warning that could otherwise
/// be written thousands of times a second (its count is in /metrics).
final class Occasionally: Sendable {
    private let last = Atomic<UInt64>(0)
    let every: UInt64

    init(every: UInt64) { self.every = every }

    /// True if `every` ns passed since it last said yes (monotonic `now`).
    func due(now: UInt64) -> Bool {
        let previous = last.load(ordering: .relaxed)
        guard previous == 0 || now &- previous >= every else { return false }
        return last.compareExchange(expected: previous, desired: max(now, 1), ordering: .relaxed).exchanged
    }
}
