import Glibc

/// A source of wall-clock instants: nanoseconds since the Unix epoch (UTC).
///
/// The spool stores due times in wall-clock time, not `CLOCK_MONOTONIC`,
/// because they must mean the same after a reboot (the monotonic clock starts
/// again from zero at boot). Tests hand in their own clock.
public protocol WallClock: Sendable {
    func now() -> UInt64
}

/// The real `CLOCK_REALTIME`.
public struct SystemWallClock: WallClock {
    public init() {}

    public func now() -> UInt64 {
        var spec = timespec()
        // Cannot fail on Linux: the clock always exists and `spec` is valid.
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(max(0, spec.tv_sec)) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
