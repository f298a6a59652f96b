/// The folders inside one queue's directory, and what each holds.
///
/// Every state change of a task is a `rename(2)` between these folders (or
/// within `ready/`), so at every instant a task is in exactly one of them.
public enum SpoolFolder: String, CaseIterable, Sendable {
    /// Files being written; never read as tasks. Leftovers of dead writers are removed.
    case tmp
    /// Durable batch files (NDJSON) acknowledged but not yet expanded into `ready/`.
    case journal
    /// Tasks waiting to run: `<due-ns, 20 digits>-<key>`, so names sort by due time.
    case ready
    /// Tasks a process has claimed: `<pid>-<ready name>`.
    case leased
    /// Tasks given up on: `<key>`, the reason in the task's `lastError`.
    case dead
    /// Finished tasks kept for the retention period: `<key>`.
    case done
    /// Files that did not parse, moved aside with a `<name>.reason` file.
    case quarantine
    /// One marker per task id ever accepted and not yet finished: `<key>`.
    /// Creating it (`link(2)`, which fails if it exists) is what makes enqueue idempotent.
    case ids
    /// Files of finished tasks kept for reuse by new tasks (`SpareFiles`);
    /// never read as tasks.
    case spare
}

/// A file in a queue: its folder and name.
public struct SpoolPath: Equatable, Sendable, CustomStringConvertible {
    public let folder: SpoolFolder
    public let name: String

    public init(_ folder: SpoolFolder, _ name: String) {
        self.folder = folder
        self.name = name
    }

    public var description: String { "\(folder.rawValue)/\(name)" }
}
