import Glibc
import SluicePOSIX

/// An exclusive `flock(2)` on one batch file in `journal/`: whoever holds it
/// is the only process committing or expanding that batch.
///
/// The kernel drops the lock when its holder dies, so a crashed expander
/// never blocks the batch; the next one redoes the expansion (it is idempotent).
final class JournalLock {
    /// The batch's base name: `<time>-<pid>-<serial>`; files are `<base>.ndjson`,
    /// `<base>.prepared` and `<base>.origin`.
    let base: String
    /// Whether the batch's per-task files are all written and durable (`<base>.prepared`).
    private(set) var prepared: Bool
    private let fd: Int32

    private init(base: String, prepared: Bool, fd: Int32) {
        self.base = base
        self.prepared = prepared
        self.fd = fd
    }

    deinit { close(fd) }

    /// Locks a batch file just written in `tmp/` as `name`, before it is renamed into `journal/`.
    static func lockNew(in tmp: Directory, name: String, base: String) throws(SystemError) -> JournalLock {
        let fd = try syscall("open(\(tmp.file(name)))") { openat(tmp.fd, name, O_RDONLY | O_CLOEXEC) }
        try syscall("flock(\(tmp.file(name)))") { flock(fd, LOCK_EX) }
        return JournalLock(base: base, prepared: false, fd: fd)
    }

    /// Locks the pending batch `base`; nil if another holder keeps it past
    /// `waiting` nanoseconds, or if the batch is gone (expanded meanwhile).
    ///
    /// Why wait at all: a `posix_spawn` in any thread briefly duplicates
    /// every descriptor of the process (close-on-exec ones close only at
    /// exec), so a lock just released can look held for a moment.
    static func tryLock(in journal: Directory, base: String, waiting: UInt64 = 0) -> JournalLock? {
        for (suffix, prepared) in [(".ndjson", false), (".prepared", true)] {
            let name = base + suffix
            journal.faults.observe("read", journal.file(name))
            let fd = openat(journal.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            guard lock(fd, waiting: waiting) else { close(fd); return nil }
            // Another expander may have finished (or advanced) the batch between
            // our open and our lock: only proceed if the name still is this file.
            var held = stat()
            fstat(fd, &held)
            if let current = try? journal.identity(of: name), current.inode == UInt64(held.st_ino), held.st_nlink > 0,
               held.st_mode & S_IFMT == S_IFREG {
                return JournalLock(base: base, prepared: prepared, fd: fd)
            }
            close(fd)
        }
        return nil
    }

    private static func lock(_ fd: Int32, waiting: UInt64) -> Bool {
        let deadline = MonotonicClock.now() + waiting
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, MonotonicClock.now() < deadline else { return false }
            usleep(1000)
        }
        return true
    }

    /// The whole batch file.
    func content() throws(SystemError) -> [UInt8] {
        var info = stat()
        try syscall("fstat(journal \(base))") { fstat(fd, &info) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + total, buffer.count - total, off_t(total))
            }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw SystemError(call: "read(journal \(base))", errno: errno) }
            if count == 0 { break }
            total += count
        }
        return Array(bytes[..<total])
    }

    func markPrepared() { prepared = true }
}
