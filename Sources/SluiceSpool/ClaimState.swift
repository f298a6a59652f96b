/// A claimer's view of its queue: the ready index and what keeps it current.
struct ClaimState: ~Copyable {
    var index = ReadyIndex()
    /// Started by the first claim; nil before, or when inotify is unavailable.
    var watch: DirectoryWatch?
    /// inotify could not be started (its per-user limit): poll instead.
    var watchFailed = false
    /// When the index was last rebuilt from a full scan (monotonic ns).
    var lastScan: UInt64 = 0
    /// A new batch arrived in `journal/` (or an expansion failed) and is not expanded yet.
    var batchArrived = false
    /// Not before this instant is a failed expansion tried again (monotonic ns).
    var expansionRetryAt: UInt64 = 0
}
