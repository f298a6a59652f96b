/// A seam for tests, like the spool's `SpoolFaults`: makes the worker trap
/// on purpose, so the poison-task handling can be proven on a real fleet.
///
/// Production code always uses `.none`. `sluice worker` reads it from the
/// environment variable `SLUICE_TEST_TRAP_TASK` (a task id), which nothing
/// but a test sets.
public struct WorkerFaults: Sendable {
    /// While building the request for the task with this id, trap (as a
    /// provider's arithmetic overflow would: SIGILL).
    public var trapOnTaskID: String?

    public init(trapOnTaskID: String? = nil) {
        self.trapOnTaskID = trapOnTaskID
    }

    public static let none = WorkerFaults()
}
