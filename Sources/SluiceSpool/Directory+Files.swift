import Glibc
import SluicePOSIX

/// What a `rename` or `link` found.
enum PlaceOutcome: Equatable {
    case done
    /// The source no longer exists (another process moved it first).
    case sourceMissing
    /// The target already exists and was left alone.
    case targetExists
}

/// The identity of a file (device and inode), to tell hard links of one file apart from others.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
}

extension Directory {
    /// Creates `name` (it must not exist) holding `bytes`, and with `sync`
    /// makes its content durable (fdatasync) before returning. On any failure
    /// the file is removed: nothing half-written is left behind.
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
    func overwriteFile(_ name: String, bytes: [UInt8]) throws(SystemError) {
        let full = file(name)
        let fileFD = try syscall("open(\(full))") { openat(fd, name, O_WRONLY | O_CLOEXEC) }
        defer { close(fileFD) }
        try writeAll(fileFD, bytes, path: full, positioned: true)
        try syscall("ftruncate(\(full))") { ftruncate(fileFD, off_t(bytes.count)) }
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

    /// The content of `name`, or nil if it does not exist. Refuses files over `limit` bytes.
    func read(_ name: String, limit: Int) throws(SystemError) -> [UInt8]? {
        let full = file(name)
        let fileFD: Int32
        do {
            fileFD = try syscall("open(\(full))") { openat(fd, name, O_RDONLY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { close(fileFD) }
        var info = stat()
        try syscall("fstat(\(full))") { fstat(fileFD, &info) }
        guard Int(info.st_size) <= limit else { throw SystemError(call: "read(\(full)) of \(info.st_size) bytes", errno: EFBIG) }
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
        return Array(bytes[..<total])
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
                if target.exists(newName) { return .targetExists }
                result = renameat(fd, name, target.fd, newName)
                if result == 0 { return .done }
                if errno == ENOENT { return .sourceMissing }
                throw SystemError(call: "rename(\(from) → \(target.file(newName)))", errno: errno)
            default:
                throw SystemError(call: "rename(\(from) → \(target.file(newName)))", errno: errno)
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
        do {
            try syscall("unlink(\(file(name)))") { unlinkat(fd, name, 0) }
            return true
        } catch where error.errno == ENOENT {
            return false
        }
    }

    func exists(_ name: String) -> Bool {
        faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// Device and inode of `name`; nil if it does not exist.
    func identity(of name: String) -> FileIdentity? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Last modification time of `name` in wall-clock ns; nil if it does not exist.
    func modificationTime(of name: String) -> UInt64? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return UInt64(max(0, info.st_mtim.tv_sec)) * 1_000_000_000 + UInt64(info.st_mtim.tv_nsec)
    }

    /// The owner of this directory.
    func ownerUID() throws(SystemError) -> uid_t {
        var info = stat()
        try syscall("fstat(\(path))") { fstat(fd, &info) }
        return info.st_uid
    }
}
