import SluicePOSIX
import Synchronization

/// A clock that moves only when the test says so.
public final class ManualClock: InstantSource, Sendable {
    private let instant: Atomic<UInt64>

    public init(_ start: UInt64 = 1_000_000_000_000) { instant = Atomic(start) }

    public func now() -> UInt64 { instant.load(ordering: .acquiring) }

    /// Moves the clock forward by `nanoseconds`.
    public func advance(by nanoseconds: UInt64) { instant.add(nanoseconds, ordering: .acquiringAndReleasing) }
}
