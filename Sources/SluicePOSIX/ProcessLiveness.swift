import Glibc

/// Whether a process still exists, by pid.
public enum ProcessLiveness {
    /// True if `pid` names a live (or zombie, not yet reaped) process.
    ///
    /// `kill(pid, 0)` sends nothing and only checks: ESRCH means no such
    /// process; EPERM means it exists but belongs to someone else.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }

    /// The calling process's pid.
    public static var currentPID: pid_t { getpid() }
}
