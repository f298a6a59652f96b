/// The wall clock as retention may trust it: "now" for deciding that a
/// finished task has been kept long enough and its id may be forgotten.
///
/// Why not the wall clock itself: a step forward (an NTP correction, an
/// operator's `date -s`) would make every finished task look old at once,
/// purge it early, and so admit its id again as a new task. Why not only the
/// monotonic clock: finished tasks are dated by their files' modification
/// times, which are wall-clock instants, and must mean the same after a restart.
///
/// So it watches the offset between the two clocks (wall − monotonic). A
/// forward step raises the offset; for one retention `window` of monotonic
/// time afterwards, the clock keeps using the offset from before the step,
/// so a task finished just before the step is still kept its full window.
/// After that, every task dated with the old offset is older than the
/// window, and the new offset is trusted. A step backward lowers the offset
/// and is trusted at once (it only keeps things longer).
///
/// Invariant: `now` never runs ahead of a wall clock that did not step
/// during the last `window`, and is at most `window` late in trusting a step.
struct RetentionClock: Sendable {
    /// Offsets seen, oldest first, each with the monotonic instant it was
    /// first seen; consecutive entries differ by more than `tolerance`.
    private var offsets: [(since: UInt64, offset: Int64)] = []
    /// Drift smaller than this (NTP slewing) is not a step.
    static let tolerance: Int64 = 1_000_000_000

    /// The offset now in force (the latest seen), for keeping across restarts.
    var latestOffset: Int64? { offsets.last?.offset }

    /// Starts from an offset a previous process of this boot trusted, as if
    /// seen at `monotonic`: a step taken while no process ran (between that
    /// process and this one) is then a change this clock sees, not its start.
    mutating func seed(offset: Int64, at monotonic: UInt64) {
        offsets = [(monotonic, offset)]
    }

    /// The trusted wall-clock instant, given both clocks read now.
    mutating func now(wall: UInt64, monotonic: UInt64, window: UInt64) -> UInt64 {
        let offset = Int64(truncatingIfNeeded: wall) &- Int64(truncatingIfNeeded: monotonic)
        if let last = offsets.last?.offset, abs(last &- offset) <= Self.tolerance {
            // The same offset within drift: nothing new to remember.
        } else {
            offsets.append((monotonic, offset))
        }
        // An offset stays in force until the next one was first seen: keep the
        // last entry seen at or before the window's start (it was in force then)
        // and every later one.
        let windowStart = monotonic > window ? monotonic - window : 0
        while offsets.count >= 2, offsets[1].since <= windowStart { offsets.removeFirst() }
        let trusted = offsets.map(\.offset).min() ?? offset
        let instant = Int64(truncatingIfNeeded: monotonic) &+ trusted
        return min(wall, UInt64(max(0, instant)))
    }
}
