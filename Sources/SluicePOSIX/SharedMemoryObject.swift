import Glibc

/// A POSIX shared-memory object (`shm_open`), mapped read-write into this process.
///
/// The mapping stays valid for the life of the value; other processes that map
/// the same name see the same bytes. Closing the descriptor after `mmap` is
/// safe: the mapping holds its own reference (mmap(2)).
public final class SharedMemoryObject: @unchecked Sendable {
    /// The shm name, with its leading `/`.
    public let name: String
    /// Start of the mapping. Shared by every process that maps `name`.
    public let base: UnsafeMutableRawPointer
    /// Size of the mapping in bytes.
    public let size: Int

    private init(name: String, base: UnsafeMutableRawPointer, size: Int) {
        self.name = name
        self.base = base
        self.size = size
    }

    deinit {
        munmap(base, size)
    }

    /// What `fstat` says of an existing object, read before mapping it.
    public struct Status: Sendable {
        public let size: Int
        public let ownerUID: uid_t
        /// Permission bits only (`st_mode & 0o7777`).
        public let mode: mode_t
    }

    /// Creates `name` exclusively (`O_EXCL`), owner-only, sized `size` and zero-filled.
    ///
    /// Throws `EEXIST` if it already exists: the caller decides whether to attach instead.
    public static func createExclusive(name: String, size: Int) throws(SystemError) -> SharedMemoryObject {
        let fd = try syscall("shm_open(\(name), O_CREAT|O_EXCL)") {
            shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        }
        defer { close(fd) }
        do {
            // The umask may only remove bits; set the mode explicitly so it is exactly 0600.
            try syscall("fchmod(\(name))") { fchmod(fd, 0o600) }
            try syscall("ftruncate(\(name))") { ftruncate(fd, off_t(size)) }
            return try map(fd: fd, name: name, size: size)
        } catch {
            shm_unlink(name)
            throw error
        }
    }

    /// Opens an existing object and reports its status without mapping it.
    public static func status(name: String) throws(SystemError) -> Status {
        let fd = try syscall("shm_open(\(name))") { shm_open(name, O_RDONLY | O_CLOEXEC, 0) }
        defer { close(fd) }
        return try status(fd: fd, name: name)
    }

    /// Opens and maps an existing object read-write, `size` bytes of it.
    public static func attach(name: String, size: Int) throws(SystemError) -> SharedMemoryObject {
        let fd = try syscall("shm_open(\(name))") { shm_open(name, O_RDWR | O_CLOEXEC, 0) }
        defer { close(fd) }
        return try map(fd: fd, name: name, size: size)
    }

    /// Removes the name; existing mappings stay valid until unmapped.
    /// Returns false if there was nothing to remove.
    @discardableResult
    public static func unlink(name: String) throws(SystemError) -> Bool {
        do {
            try syscall("shm_unlink(\(name))") { shm_unlink(name) }
            return true
        } catch where error.errno == ENOENT {
            return false
        }
    }

    private static func status(fd: Int32, name: String) throws(SystemError) -> Status {
        var info = stat()
        try syscall("fstat(\(name))") { fstat(fd, &info) }
        return Status(size: Int(info.st_size), ownerUID: info.st_uid, mode: info.st_mode & 0o7777)
    }

    private static func map(fd: Int32, name: String, size: Int) throws(SystemError) -> SharedMemoryObject {
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
              base != MAP_FAILED else {
            throw SystemError(call: "mmap(\(name))", errno: Glibc.errno)
        }
        return SharedMemoryObject(name: name, base: base, size: size)
    }
}
