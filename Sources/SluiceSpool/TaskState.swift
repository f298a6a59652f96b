/// Where a task is in its life. Each case but `journaled` is one folder.
///
/// ```
/// journaled ─expand─► ready(due) ─claim─► leased(pid, due) ─complete─► done (or deleted)
///                        ▲  │reset              │ │ │
///                        │  └──────┘            │ │ └─deadLetter─► dead ─replay─┐
///                        ├────release, recover──┘ └─retry(due')─► ready(due')   │
///                        └──────────────────────────────────────────────────────┘
/// ```
public enum TaskState: Equatable, Sendable, CustomStringConvertible {
    /// Accepted inside a batch file that is not yet expanded into `ready/`.
    case journaled
    /// In `ready/`, to be claimed at or after `dueAt` (wall-clock ns).
    case ready(dueAt: UInt64)
    /// Claimed by process `pid`; `dueAt` is kept for a release.
    case leased(pid: Int32, dueAt: UInt64)
    /// In `dead/`: given up on.
    case dead
    /// In `done/`: finished, kept for the retention period.
    case done

    public var description: String {
        switch self {
        case .journaled: "journaled"
        case .ready: "ready"
        case .leased(let pid, _): "leased by pid \(pid)"
        case .dead: "dead"
        case .done: "done"
        }
    }

    /// The task's file for `key` in this state; nil while journaled.
    public func path(key: String) -> SpoolPath? {
        switch self {
        case .journaled: nil
        case .ready(let due): SpoolPath(.ready, SpoolNames.ready(dueAt: due, key: key))
        case .leased(let pid, let due):
            SpoolPath(.leased, SpoolNames.leased(pid: pid, readyName: SpoolNames.ready(dueAt: due, key: key)))
        case .dead: SpoolPath(.dead, key)
        case .done: SpoolPath(.done, key)
        }
    }
}

/// The file operation that carries out one state change.
public enum FileMove: Equatable, Sendable {
    /// One atomic `rename(2)`.
    case rename(from: SpoolPath, to: SpoolPath)
    /// Write the updated task to a new file and rename it over `from` (atomic:
    /// `from` holds the old or the new content, never a mix), then rename to `to`.
    case rewriteThenRename(from: SpoolPath, to: SpoolPath)
    /// The task is finished and forgotten: its file leaves the task folders
    /// (recycled into `spare/`, see `SpareFiles`), then the id's marker is unlinked.
    case delete(SpoolPath)
    /// Nothing to do (e.g. resetting a task that is already due).
    case none
}

/// A state change that the task's current state does not allow.
public struct TransitionError: Error, Equatable, CustomStringConvertible, Sendable {
    public let action: String
    public let state: TaskState

    public var description: String {
        "cannot \(action) a task that is \(state); " + (state == .journaled ? "expand its batch first" : "check its state with `sluice task show`")
    }
}
