/// What `recover` did.
public struct RecoveryReport: Sendable, Equatable {
    /// Leases of processes that are gone, returned to `ready/` (attempt not spent).
    public var leasesReturned: [String] = []
    /// Half-written files of writers that are gone, removed from `tmp/`.
    public var scratchRemoved = 0
    /// Tasks expanded from acknowledged batches into `ready/`.
    public var tasksExpanded = 0
    /// Why a batch could not be expanded (it waits, durable), if one could not.
    public var expansionFailure: String?
    /// Finished tasks past the retention period, removed from `done/`.
    public var donePurged = 0
    /// Files moved to `quarantine/` because their names or contents do not parse.
    public var quarantined = 0
    /// Spare files beyond the limit, unlinked.
    public var sparesTrimmed = 0

    public init() {}
}
