/// A claimer's view of its queue: the ready index and what keeps it current.
struct ClaimState: ~Copyable {
    var index = ReadyIndex()
    /// Started by the first claim; nil before.
    var watch: DirectoryWatch?
    /// When the index was last rebuilt from a full scan (wall-clock ns).
    var lastScan: UInt64 = 0
    /// A new batch arrived in `journal/` and is not expanded yet.
    var batchArrived = false
}
