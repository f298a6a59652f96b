import SluiceSpool
import Synchronization

/// A wall clock that moves only when the test says.
final class ManualWallClock: WallClock {
    /// 2025-11-21T09:30:00Z, a fixed, readable start.
    static let start: UInt64 = 1_763_717_400_000_000_000
    static let second: UInt64 = 1_000_000_000

    private let instant: Mutex<UInt64>

    init(_ start: UInt64 = ManualWallClock.start) { instant = Mutex(start) }

    func now() -> UInt64 { instant.withLock { $0 } }

    func advance(seconds: UInt64) { instant.withLock { $0 += seconds * Self.second } }

    /// Steps the clock back, as an operator's `date -s` or an NTP correction would.
    func stepBack(seconds: UInt64) { instant.withLock { $0 -= seconds * Self.second } }
}
