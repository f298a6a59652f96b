import SluicePOSIX

/// A fleet name whose segment is removed when the test is done, even on failure.
///
/// Every test makes its own, so tests can run in parallel and leave nothing
/// in /dev/shm.
public final class ScratchFleet: @unchecked Sendable {
    public let name: String

    public init(_ label: String = "t") { name = UniqueName.fleet(label) }

    public var sharedMemoryName: String { "/sluice.\(name)" }

    /// True if the segment still exists in /dev/shm.
    public var exists: Bool { (try? SharedMemoryObject.status(name: sharedMemoryName)) != nil }

    public func remove() { _ = try? SharedMemoryObject.unlink(name: sharedMemoryName) }

    deinit { remove() }
}
