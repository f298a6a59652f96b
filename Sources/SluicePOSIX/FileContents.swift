import Glibc

/// Reading a whole (small) file.
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
}
