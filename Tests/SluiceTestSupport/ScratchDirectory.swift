import Glibc
import SluicePOSIX

/// A private temporary directory (mode 0700) removed with everything in it on `remove()`.
///
/// Each test makes its own, so tests never share files and leave nothing behind.
public final class ScratchDirectory: @unchecked Sendable {
    public let path: String

    public init(label: String = "test") throws {
        var template = Array("/tmp/sluice-\(label)-XXXXXX".utf8CString)
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
