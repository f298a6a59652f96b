import Glibc

/// Reading and replacing a whole (small) file.
public enum FileContents {
    /// The bytes of the file at `path`. Throws if it cannot be opened or read,
    /// or holds more than `limit` bytes (a guard against reading the wrong file).
    public static func read(_ path: String, limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        let fd = try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try syscall("read(\(path))") { Glibc.read(fd, &buffer, buffer.count) }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[..<count])
            if bytes.count > limit { throw SystemError(call: "read(\(path)): larger than \(limit) bytes", errno: EFBIG) }
        }
    }

    /// Replaces the file at `path` with `bytes`, durably and atomically: a
    /// reader sees the old contents or the new, never a mix, and after a
    /// crash the new contents survive once this returns (temp file written
    /// and synced, renamed over, directory synced). Mode 0600 by default.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o600) throws(SystemError) {
        // A name no one else uses, created new (never a file or link planted there).
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = try syscall("open(\(temporary))") { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        do throws(SystemError) {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let remaining = bytes.count - written
                let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, remaining) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SystemError(call: "write(\(temporary))", errno: errno)
                }
                written += count
            }
            _ = try syscall("fsync(\(temporary))") { fsync(fd) }
            _ = try syscall("rename(\(temporary), \(path))") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let directoryFD = try syscall("open(\(directory))") { open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(directoryFD) }
        _ = try syscall("fsync(\(directory))") { fsync(directoryFD) }
    }
}
