import Glibc

/// Reads and sleeps on `CLOCK_MONOTONIC`, in whole nanoseconds.
///
/// Every process on the host shares this clock, which is why the coordinator
/// can store instants from it in shared memory and compare them across
/// processes. It never jumps backwards; it does not count time suspended.
public enum MonotonicClock {
    /// The current instant, in nanoseconds since an arbitrary fixed point (boot).
    @inline(__always)
    public static func now() -> UInt64 {
        var spec = timespec()
        // clock_gettime(CLOCK_MONOTONIC) cannot fail on Linux: the clock always
        // exists and `spec` is a valid address.
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Blocks the calling thread until `instant` has passed (no-op if it has).
    ///
    /// Uses an absolute deadline so an interrupted and resumed sleep never
    /// drifts: clock_nanosleep(2), `TIMER_ABSTIME`.
    public static func sleep(until instant: UInt64) {
        var deadline = timespec(
            tv_sec: Int(instant / 1_000_000_000),
            tv_nsec: Int(instant % 1_000_000_000)
        )
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
    }
}

/// A source of monotonic instants; tests hand in their own.
public protocol InstantSource: Sendable {
    func now() -> UInt64
}

/// The real `CLOCK_MONOTONIC`.
public struct SystemInstantSource: InstantSource {
    public init() {}
    @inline(__always)
    public func now() -> UInt64 { MonotonicClock.now() }
}
