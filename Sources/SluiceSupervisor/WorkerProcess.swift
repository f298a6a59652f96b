import Glibc
import SluicePOSIX

/// One worker process the supervisor keeps running: `queue` worker number `ordinal`.
///
/// Lifecycle: `waiting(until)` → `running(pid)` → (exit) → `waiting` again
/// after a backoff, or `gaveUp` after too many crashes in a row; on drain,
/// `running` → `stopping(pid)` → `stopped`.
struct WorkerProcess {
    enum State: Equatable {
        /// Not running; start at the instant (monotonic ns).
        case waiting(until: UInt64)
        case running(pid: pid_t, since: UInt64)
        /// Sent SIGTERM at shutdown; waiting for it to exit.
        case stopping(pid: pid_t)
        case stopped
        /// Crashed too often too fast: left stopped until an operator acts.
        case gaveUp
    }

    let queue: String
    let ordinal: Int
    var state: State
    /// Monotonic instants of recent unexpected exits, for the crash-loop limit.
    var recentCrashes: [UInt64] = []
    var restarts = 0
    /// Scaled away: told to drain, and removed (not restarted) once it exits.
    var retiring = false
    /// When a retiring worker is SIGKILLed if it has not exited (monotonic ns).
    var retireDeadline: UInt64?

    var pid: pid_t? {
        switch state {
        case .running(let pid, _), .stopping(let pid): pid
        default: nil
        }
    }

    /// The process exited on its own, or could not be started at all (a
    /// failed spawn counts as a crash, so a passing EAGAIN is retried with
    /// backoff). Returns the delay before restarting it, or nil if it crashed
    /// too often (more than `RestartPolicy.crashLimit` in `crashWindow`) and
    /// is given up on.
    ///
    /// A SIGKILL comes from outside (the OOM killer, an operator, a chaos
    /// test), not from a fault of the worker's own: it is restarted after
    /// the backoff but does not count toward giving up. Nor does a crash
    /// `blamed` on a task (`PoisonTriage`): the task pays for it, not the
    /// queue. Exit codes and other signals (a Swift trap is SIGILL or
    /// SIGTRAP) with no task to blame do.
    mutating func exited(at now: UInt64, policy: RestartPolicy, status: ExitStatus? = nil, blamed: Bool = false) -> UInt64? {
        let since: UInt64
        switch state {
        case .running(_, let started): since = started
        case .waiting: since = now
        case .stopping, .stopped, .gaveUp:
            state = .stopped
            return nil
        }
        // A process that ran long enough is healthy again: forget old crashes.
        if now - since > policy.crashWindow { recentCrashes.removeAll() }
        recentCrashes = recentCrashes.filter { now - $0 <= policy.crashWindow }
        if status != .signaled(SIGKILL), !blamed { recentCrashes.append(now) }
        guard recentCrashes.count <= policy.crashLimit else {
            state = .gaveUp
            return nil
        }
        let delay = policy.backoff(consecutiveCrashes: recentCrashes.count)
        state = .waiting(until: now + delay)
        restarts += 1
        return delay
    }
}

/// How the supervisor restarts crashed workers.
struct RestartPolicy {
    /// First restart delay, doubled per consecutive crash up to `maximumDelay`.
    var initialDelay: UInt64 = 500_000_000
    var maximumDelay: UInt64 = 30_000_000_000
    /// More than this many crashes within `crashWindow` is a crash loop.
    var crashLimit = 5
    var crashWindow: UInt64 = 60_000_000_000

    func backoff(consecutiveCrashes: Int) -> UInt64 {
        var delay = initialDelay
        for _ in 1..<max(consecutiveCrashes, 1) where delay < maximumDelay { delay *= 2 }
        return min(delay, maximumDelay)
    }
}
