import Glibc
import SluicePOSIX

/// An open directory that the spool works in by descriptor (`openat`,
/// `renameat`, `linkat`, …), so paths are resolved once and names are
/// always single components.
///
/// Invariant: the directory is a real directory (never reached through a
/// symlink at its last component), owned by this process's effective user,
/// and owner-only (no permission bits for group or others). Files written
/// under any other owner would be unreadable to the fleet, and a directory
/// others may write to lets them plant what the spool would then trust.
///
/// Every call that changes the disk first asks `faults` (the test seam).
/// Created directories are owner-only (0700); created files are 0600.
final class Directory: Sendable {
    let fd: Int32
    let path: String
    let faults: SpoolFaults

    private init(fd: Int32, path: String, faults: SpoolFaults) {
        self.fd = fd
        self.path = path
        self.faults = faults
    }

    deinit { close(fd) }

    /// Opens `path`, creating it (0700, parent fsync'd) when `create` is set and it is missing.
    static func open(_ path: String, create: Bool, faults: SpoolFaults = .none) throws(SystemError) -> Directory {
        if create { try makeDirectory(path) }
        let fd = try openChecked(path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        return Directory(fd: fd, path: path, faults: faults)
    }

    /// Opens the subdirectory `name`, creating it when `create` is set.
    func child(_ name: String, create: Bool) throws(SystemError) -> Directory {
        let full = file(name)
        if create, mkdirat(fd, name, 0o700) == 0 {
            // The umask may only remove bits; make it exactly owner-only.
            try syscall("chmod(\(full))") { fchmodat(fd, name, 0o700, 0) }
            try syscall("fsync(\(path))") { fsync(fd) }
        } else if create, errno != EEXIST {
            throw SystemError(call: "mkdir(\(full))", errno: errno)
        }
        let childFD = try Self.openChecked(full) { openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        return Directory(fd: childFD, path: full, faults: faults)
    }

    /// Opens a directory with `open` and checks the invariant; the errors
    /// name the fix.
    private static func openChecked(_ path: String, _ open: () -> Int32) throws(SystemError) -> Int32 {
        let fd = open()
        guard fd >= 0 else {
            let code = errno
            // O_NOFOLLOW on a symlink fails with ELOOP; O_DIRECTORY on a file with ENOTDIR.
            if code == ELOOP || code == ENOTDIR {
                throw SystemError(call: "open(\(path)): not a directory of its own (a symlink or a file); "
                                  + "point the spool at the real directory, or remove what is there", errno: code)
            }
            throw SystemError(call: "open(\(path))", errno: code)
        }
        var info = stat()
        do throws(SystemError) {
            try syscall("fstat(\(path))") { fstat(fd, &info) }
            let me = geteuid()
            guard info.st_uid == me else {
                throw SystemError(call: "open(\(path)): it belongs to uid \(info.st_uid), not to you (uid \(me)); files you "
                                  + "write there would be unreadable to the fleet: run this as its owner "
                                  + "(e.g. sudo -u '#\(info.st_uid)' sluice …)", errno: EPERM)
            }
            let mode = info.st_mode & 0o777
            guard mode & 0o077 == 0 else {
                throw SystemError(call: "open(\(path)): it is mode 0\(String(mode, radix: 8)), open to other users; "
                                  + "the spool must be owner-only: chmod 700 \(path)", errno: EPERM)
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The full path of `name` in this directory, for messages.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    private static func makeDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o700) == 0 {
            // The umask may only remove bits; make it exactly owner-only.
            try syscall("chmod(\(path))") { chmod(path, 0o700) }
            let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let parentFD = try syscall("open(\(parent))") { Glibc.open(parent.isEmpty ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            defer { close(parentFD) }
            try syscall("fsync(\(parent))") { fsync(parentFD) }
            return
        }
        let code = errno
        if code == ENOENT {
            let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            guard !parent.isEmpty else { throw SystemError(call: "mkdir(\(path))", errno: code) }
            try makeDirectory(parent)
            return try makeDirectory(path)
        }
        guard code == EEXIST else { throw SystemError(call: "mkdir(\(path))", errno: code) }
    }

    /// Calls `body` with each entry's name as bytes (no `.` or `..`), in
    /// directory order, without allocating per entry.
    func forEachName(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(SystemError) {
        try faults.check("list", path)
        // fdopendir takes ownership of its descriptor: give it a fresh one.
        let listFD = try syscall("open(\(path))") { openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard let stream = fdopendir(listFD) else {
            let code = errno
            close(listFD)
            throw SystemError(call: "fdopendir(\(path))", errno: code)
        }
        defer { closedir(stream) }
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError(call: "readdir(\(path))", errno: errno) }
                return
            }
            withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                let name = UnsafeBufferPointer(rebasing: bytes[..<length])
                if length == 1, name[0] == UInt8(ascii: ".") { return }
                if length == 2, name[0] == UInt8(ascii: "."), name[1] == UInt8(ascii: ".") { return }
                body(name)
            }
        }
    }

    /// Every entry's name (no `.` or `..`), unordered.
    func names() throws(SystemError) -> [String] {
        var names: [String] = []
        try forEachName { names.append(String(decoding: $0, as: UTF8.self)) }
        return names
    }

    /// fsync(2) of the directory itself: makes its entries (creates, renames,
    /// unlinks) durable.
    func sync() throws(SystemError) {
        try faults.check("fsync", path)
        try syscall("fsync(\(path))") { fsync(fd) }
    }

    /// syncfs(2): makes every pending write on this file system durable.
    func syncFileSystem() throws(SystemError) {
        try faults.check("syncfs", path)
        try syscall("syncfs(\(path))") { LinuxCalls.syncfs(fd) }
    }
}
