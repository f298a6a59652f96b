import Glibc
import SluicePOSIX

/// A private temporary directory (mode 0700) removed with everything in it on `remove()`.
///
/// Each test makes its own, so tests never share files and leave nothing behind.
public final class ScratchDirectory: @unchecked Sendable {
    public let path: String

    /// Made under `parent`: `/tmp` (a disk here), or `/dev/shm` (tmpfs) for a
    /// test that makes many thousands of syncs and tests logic, not the disk.
    public init(label: String = "test", parent: String = "/tmp") throws {
        var template = Array("\(parent)/sluice-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SystemError(call: "mkdtemp", errno: errno)
        }
        path = String(cString: made)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Deletes the directory tree. Safe to call twice.
    public func remove() {
        _ = ChildProcessRunner.run("/bin/rm", ["-rf", path])
    }

    deinit { remove() }
}
