import SluicePOSIX

/// How a queue's spool behaves; defaults suit production.
public struct SpoolOptions: Sendable {
    /// How long finished tasks stay in `done/` (ns); 0 deletes them at once.
    public var doneRetention: UInt64 = 0
    /// How long a finished task's answer (`TaskResult`) is kept (ns); 0
    /// keeps none. The answer lives in the task's record in `done/`, so a
    /// finished task stays there for the longer of the two retentions, and
    /// its id stays taken as long (a re-enqueue is answered "existing, done").
    public var resultRetention: UInt64 = 0
    /// How often a claimer rebuilds its index from a full directory scan, as
    /// a safety net behind inotify (ns).
    public var rescanInterval: UInt64 = 120 * 1_000_000_000
    /// The most tasks one `enqueue` call accepts (one batch file).
    public var maximumBatchCount = 10_000
    /// The most bytes of tasks one `enqueue` call accepts.
    public var maximumBatchBytes = 64 << 20
    /// How many finished task files to keep in `spare/` for reuse (see `SpareFiles`).
    public var maximumSpareFiles = 20_000
    /// How long recovery (and `expandPendingBatches`) waits for a batch that
    /// another process is expanding before leaving it to that process (ns).
    public var expansionWait: UInt64 = 5_000_000_000
    /// Where the spool reports trouble it works around (a failed expansion,
    /// no inotify): the caller's log, so the lines carry its context.
    public var log = EventLog(component: "spool")
    /// Test seam: injected write failures. Always `.none` in production.
    public var faults: SpoolFaults = .none

    public init() {}

    /// How long a finished task stays in `done/` (ns): the longer of
    /// `doneRetention` and `resultRetention`; 0 forgets it at once.
    public var finishedRetention: UInt64 { max(doneRetention, resultRetention) }
}
