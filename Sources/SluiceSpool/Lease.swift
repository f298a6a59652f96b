/// A task claimed by this process: the right and duty to settle it.
///
/// Invariant: while the lease is held, the task's file is
/// `leased/<pid>-<due>-<key>` and no other live process moves it.
public struct Lease: Sendable, Equatable {
    /// The task as read from its file when claimed.
    public let task: TaskRecord
    /// The task id's file key (`TaskID.fileKey`).
    public let key: String
    /// The due time the task was claimed at (from its ready name).
    public let dueAt: UInt64
    /// The claiming process.
    public let pid: Int32

    /// The lease's file name in `leased/`.
    public var fileName: String {
        SpoolNames.leased(pid: pid, readyName: SpoolNames.ready(dueAt: dueAt, key: key))
    }

    var state: TaskState { .leased(pid: pid, dueAt: dueAt) }
}
