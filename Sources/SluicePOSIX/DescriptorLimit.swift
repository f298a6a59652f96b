import Glibc

/// The process's file descriptor limit (RLIMIT_NOFILE) and use.
///
/// Most systems start processes with a soft limit of 1,024 and a hard one
/// far higher; a server that accepts connections raises its soft limit to
/// the hard one at start (as nginx and systemd's own services do), then sizes
/// its connection cap below it, keeping descriptors in reserve for its files.
public enum DescriptorLimit {
    /// The soft and hard limits now; `Int.max` for "unlimited".
    public static func current() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        return (count(limit.rlim_cur), count(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one, at most `ceiling` (the kernel
    /// refuses more than `fs.nr_open`, 1,048,576 by default). Returns the
    /// limits in force afterwards; a refusal leaves them as they were.
    @discardableResult
    public static func raiseSoftLimit(ceiling: Int = 1 << 20) -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current() }
        let target = min(count(limit.rlim_max), ceiling)
        if target > count(limit.rlim_cur) {
            limit.rlim_cur = rlim_t(target)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return current()
    }

    /// Descriptors this process has open now (entries of /proc/self/fd).
    public static func openCount() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        // The directory being read is itself one of them.
        return max(0, count - 1)
    }

    private static func count(_ value: rlim_t) -> Int {
        // RLIM_INFINITY is all ones; Glibc's Swift import of it does not compile.
        value > rlim_t(Int.max) ? .max : Int(value)
    }
}
