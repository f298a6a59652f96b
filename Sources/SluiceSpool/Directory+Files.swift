import Glibc
import SluicePOSIX

/// What a `rename`, `exchange` or `link` found.
enum PlaceOutcome: Equatable {
    case done
    /// The source (for an exchange: either name) no longer exists (another process moved it first).
    case sourceMissing
    /// The target already exists and was left alone.
    case targetExists
}

/// The identity of a file (device and inode), to tell hard links of one file apart from others.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
}

/// What reading a spool file found, when the read itself worked.
enum FileRead {
    case bytes([UInt8])
    /// Nothing by that name (another process moved it).
    case missing
    /// Something the spool never writes: a symlink, a FIFO, a device, a
    /// directory, or a file over the size limit. A matter of content, for
    /// quarantine; not an I/O error.
    case refused(String)
}

extension Directory {
    /// Creates `name` (it must not exist) holding `bytes`, and with `sync`
    /// makes its content durable (fdatasync) before returning. On any failure
    /// the file is removed: nothing half-written is left behind.
    ///
    /// `O_EXCL` never follows a symlink planted under `name`: it fails instead.
    func createFile(_ name: String, bytes: [UInt8], sync: Bool) throws(SystemError) {
        let full = file(name)
        try faults.check("open", full)
        let fileFD = try syscall("open(\(full))") { openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        do {
            try writeAll(fileFD, bytes, path: full)
            if sync {
                try faults.check("fdatasync", full)
                try syscall("fdatasync(\(full))") { fdatasync(fileFD) }
            }
            try syscall("close(\(full))") { close(fileFD) }
        } catch {
            close(fileFD)
            unlinkat(fd, name, 0)
            throw error
        }
    }

    /// Replaces the content of the existing file `name` in place: writes
    /// `bytes` from offset 0, then cuts the file to their length. Reuses the
    /// file's blocks (no allocation, no freeing). Not atomic: only for files
    /// no reader can see (in `tmp/`).
    ///
    /// Something that is not a plain file of ours (a symlink planted in
    /// `spare/`, a FIFO) is never written through: it is removed and a new
    /// file created in its place.
    func overwriteFile(_ name: String, bytes: [UInt8]) throws(SystemError) {
        let full = file(name)
        let fileFD = openat(fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fileFD >= 0 else {
            let code = errno
            // ELOOP: a symlink; ENXIO: a FIFO with no reader. Replace it.
            guard code == ELOOP || code == ENXIO || code == EISDIR else { throw SystemError(call: "open(\(full))", errno: code) }
            return try replace(name, bytes: bytes)
        }
        var info = stat()
        let regular = fstat(fileFD, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        guard regular else {
            close(fileFD)
            return try replace(name, bytes: bytes)
        }
        defer { close(fileFD) }
        try writeAll(fileFD, bytes, path: full, positioned: true)
        try syscall("ftruncate(\(full))") { ftruncate(fileFD, off_t(bytes.count)) }
    }

    /// Removes whatever `name` is and creates a plain file there instead.
    private func replace(_ name: String, bytes: [UInt8]) throws(SystemError) {
        if unlinkat(fd, name, 0) != 0, errno == EISDIR || errno == EPERM { unlinkat(fd, name, AT_REMOVEDIR) }
        try createFile(name, bytes: bytes, sync: false)
    }

    private func writeAll(_ fileFD: Int32, _ bytes: [UInt8], path full: String, positioned: Bool = false) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            try faults.check("write", full)
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return positioned
                    ? pwrite(fileFD, base + offset, buffer.count - offset, off_t(offset))
                    : write(fileFD, base + offset, buffer.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            if written < 0 { throw SystemError(call: "write(\(full))", errno: errno) }
            offset += written
        }
    }

    /// The content of `name`, if it is a plain file of at most `limit` bytes.
    ///
    /// Opens with `O_NOFOLLOW | O_NONBLOCK` and checks the type before
    /// reading, so a planted symlink is not followed and a FIFO cannot block
    /// the reader. Throws only for I/O errors (EIO, EMFILE, …): those are
    /// the disk's or the process's state, never a reason to give up on a task.
    func read(_ name: String, limit: Int) throws(SystemError) -> FileRead {
        let full = file(name)
        try faults.check("read", full)
        let fileFD = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fileFD >= 0 else {
            switch errno {
            case ENOENT: return .missing
            case ELOOP: return .refused("\(full) is a symlink; the spool writes only plain files")
            // A socket (ENXIO), a device without its driver (ENXIO, ENODEV), or
            // anything else open(2) refuses for what the name is, not for the disk.
            case ENXIO, ENODEV, EOPNOTSUPP, EISDIR: return .refused("\(full) is not a plain file (open: \(String(cString: strerror(errno)))); the spool writes only plain files")
            case EINTR: return try read(name, limit: limit)
            case let code: throw SystemError(call: "open(\(full))", errno: code)
            }
        }
        defer { close(fileFD) }
        var info = stat()
        try syscall("fstat(\(full))") { fstat(fileFD, &info) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .refused("\(full) is not a plain file (mode 0\(String(info.st_mode, radix: 8))); the spool writes only plain files")
        }
        guard Int(info.st_size) <= limit else { return .refused("\(full) holds \(info.st_size) bytes; the most a task file holds is \(limit)") }
        // Spool files are never changed in place (a new file is renamed over
        // an old one), so the size fstat reports is the size to read.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.read(fileFD, base + total, buffer.count - total)
            }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw SystemError(call: "read(\(full))", errno: errno) }
            if count == 0 { break }
            total += count
        }
        return .bytes(Array(bytes[..<total]))
    }

    /// Renames `name` to `newName` in `target`. Unless `replacing`, an existing
    /// target is left alone (renameat2 RENAME_NOREPLACE, atomic).
    @discardableResult
    func rename(_ name: String, to target: Directory, as newName: String, replacing: Bool = false) throws(SystemError) -> PlaceOutcome {
        let from = file(name)
        try faults.check("rename", from)
        while true {
            var result: Int32
            if !replacing, let noReplace = LinuxCalls.renameat2(fd, name, target.fd, newName, flags: LinuxCalls.renameNoReplace) {
                result = noReplace
            } else {
                result = renameat(fd, name, target.fd, newName)
            }
            if result == 0 { return .done }
            switch errno {
            case EINTR: continue
            case ENOENT: return .sourceMissing
            case EEXIST: return .targetExists
            case EINVAL where !replacing:
                // The file system does not support RENAME_NOREPLACE: fall back.
                if try target.exists(newName) { return .targetExists }
                result = renameat(fd, name, target.fd, newName)
                if result == 0 { return .done }
                if errno == ENOENT { return .sourceMissing }
                throw SystemError(call: "rename(\(from) → \(target.file(newName)))", errno: errno)
            default:
                throw SystemError(call: "rename(\(from) → \(target.file(newName)))", errno: errno)
            }
        }
    }

    /// Atomically swaps `name` here and `otherName` in `other` (renameat2
    /// RENAME_EXCHANGE): both must exist, so unlike a rename over a file,
    /// this never recreates a name another process just moved away.
    /// `.sourceMissing` if either is gone (nothing changed); nil when the
    /// file system cannot exchange (NFS, old kernels): the caller falls back.
    func exchange(_ name: String, with other: Directory, _ otherName: String) throws(SystemError) -> PlaceOutcome? {
        let from = file(name)
        try faults.check("exchange", from)
        while true {
            guard let result = LinuxCalls.renameat2(fd, name, other.fd, otherName, flags: LinuxCalls.renameExchange) else { return nil }
            if result == 0 { return .done }
            switch errno {
            case EINTR: continue
            case ENOENT: return .sourceMissing
            case EINVAL, ENOSYS, EOPNOTSUPP: return nil
            case let code: throw SystemError(call: "rename-exchange(\(from) ↔ \(other.file(otherName)))", errno: code)
            }
        }
    }

    /// Hard-links `name` as `newName` in `target`; fails (`.targetExists`) if that exists.
    func link(_ name: String, to target: Directory, as newName: String) throws(SystemError) -> PlaceOutcome {
        let from = file(name)
        try faults.check("link", from)
        do {
            try syscall("link(\(from) → \(target.file(newName)))") { linkat(fd, name, target.fd, newName, 0) }
            return .done
        } catch where error.errno == EEXIST {
            return .targetExists
        } catch where error.errno == ENOENT {
            return .sourceMissing
        }
    }

    /// Removes `name`; false if it was already gone.
    @discardableResult
    func unlink(_ name: String) throws(SystemError) -> Bool {
        try faults.check("unlink", file(name))
        do {
            try syscall("unlink(\(file(name)))") { unlinkat(fd, name, 0) }
            return true
        } catch where error.errno == ENOENT {
            return false
        }
    }

    /// Whether `name` exists. Throws on anything but "no such file" (EIO,
    /// ENOMEM, EACCES): a look-up that could not answer must never be taken
    /// for "absent", which would drop a task as a duplicate or a leftover.
    func exists(_ name: String) throws(SystemError) -> Bool {
        try faults.check("stat", file(name))
        while true {
            if faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 { return true }
            switch errno {
            case ENOENT: return false
            case EINTR: continue
            case let code: throw SystemError(call: "faccessat(\(file(name)))", errno: code)
            }
        }
    }

    /// Device and inode of `name`; nil if it does not exist. Throws, like
    /// `exists`, on anything but "no such file".
    func identity(of name: String) throws(SystemError) -> FileIdentity? {
        try faults.check("stat", file(name))
        var info = stat()
        while fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
            switch errno {
            case ENOENT: return nil
            case EINTR: continue
            case let code: throw SystemError(call: "fstatat(\(file(name)))", errno: code)
            }
        }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Whether `name` is a plain file (not a symlink, FIFO, socket, device or
    /// directory); nil if it does not exist.
    func isPlainFile(_ name: String) throws(SystemError) -> Bool? {
        try faults.check("stat", file(name))
        var info = stat()
        while fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
            switch errno {
            case ENOENT: return nil
            case EINTR: continue
            case let code: throw SystemError(call: "fstatat(\(file(name)))", errno: code)
            }
        }
        return info.st_mode & S_IFMT == S_IFREG
    }

    /// Last modification time of `name` in wall-clock ns; nil if it does not exist.
    func modificationTime(of name: String) -> UInt64? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return UInt64(max(0, info.st_mtim.tv_sec)) * 1_000_000_000 + UInt64(info.st_mtim.tv_nsec)
    }
}
