import Glibc
import SluicePOSIX
import Synchronization

/// Serialises the rare writers of a segment: registering queues and changing
/// their limits. Never taken on the reservation path.
///
/// The lock word holds the holder's pid. A holder that died (SIGKILL while
/// registering) is detected with `kill(pid, 0)` and its lock is taken over,
/// so a crash never wedges the fleet's admin operations.
struct AdminLock {
    let word: UnsafeMutablePointer<Atomic<UInt64>>

    /// Runs `body` holding the lock. Throws `adminLockBusy` if a live process
    /// holds it for more than `timeout` nanoseconds.
    func withLock<T>(timeout: UInt64 = 5_000_000_000, _ body: () throws(CoordinatorError) -> T) throws(CoordinatorError) -> T {
        let me = UInt64(getpid())
        let deadline = MonotonicClock.now() + timeout
        while true {
            let holder = word.pointee.load(ordering: .acquiring)
            if holder == 0 || (holder != me && !ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: holder))) {
                if word.pointee.compareExchange(expected: holder, desired: me, ordering: .acquiringAndReleasing).exchanged { break }
                continue
            }
            if MonotonicClock.now() > deadline { throw .adminLockBusy(holder: Int32(truncatingIfNeeded: holder)) }
            usleep(100)
        }
        defer { word.pointee.store(0, ordering: .releasing) }
        return try body()
    }

    /// Frees the lock if `pid` holds it (it died).
    func reclaim(from pid: pid_t) {
        _ = word.pointee.compareExchange(expected: UInt64(pid), desired: 0, ordering: .acquiringAndReleasing)
    }
}
