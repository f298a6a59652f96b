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
    /// Keys whose file could not be read, and until when they are left out (monotonic ns).
    var heldBack: [String: UInt64] = [:]
    /// Due times of held-back tasks taken out of the index, to put back when the hold ends.
    var held: [String: UInt64] = [:]
}
