import Glibc
import SluicePOSIX

/// poll(2) on one descriptor with an absolute deadline on CLOCK_MONOTONIC.
enum PollWait {
    /// Waits until `fd` reports one of `events` (or an error or hang-up,
    /// which the next call on it will report), or `deadline` passes. True if ready.
    static func until(_ fd: Int32, events: Int16, deadline: UInt64) -> Bool {
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { return false }
            // Rounded up to whole milliseconds, so a wait never ends just short of the deadline.
            let remaining = deadline - now
            let milliseconds = Int32(clamping: remaining / 1_000_000 + (remaining % 1_000_000 == 0 ? 0 : 1))
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            // EINTR: a signal arrived; wait again for what is left (signal(7)).
            if ready > 0 || (ready < 0 && errno != EINTR) { return true }
        }
    }

    /// True if `fd` has something to read, an error or a hang-up right now.
    static func isReadable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) != 0
    }
}
