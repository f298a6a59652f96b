import Glibc

/// Signals read synchronously, as tini and a supervisor should: the signals
/// are blocked, and `next(timeout:)` takes them one at a time with
/// `sigtimedwait(2)`, so no handler ever runs at an arbitrary point.
///
/// Requires: created on the main thread before any other thread starts,
/// so every thread inherits the mask and none takes the signals instead.
public struct SignalQueue: Sendable {
    private let signals: [Int32]

    public init(_ signals: [Int32]) {
        self.signals = signals
        var set = Self.set(of: signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// The next pending signal, or nil after `timeout` nanoseconds (0: only
    /// look). Takes signals sent to the process, whichever thread asks.
    public func next(timeout: UInt64) -> Int32? {
        var set = Self.set(of: signals)
        var wait = timespec(tv_sec: Int(timeout / 1_000_000_000), tv_nsec: Int(timeout % 1_000_000_000))
        let signal = sigtimedwait(&set, nil, &wait)
        return signal > 0 ? signal : nil
    }

    private static func set(of signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}
