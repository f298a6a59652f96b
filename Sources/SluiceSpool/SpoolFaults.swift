import SluicePOSIX

/// A seam for tests: makes chosen write-side system calls fail with a chosen
/// `errno`, as a full disk (ENOSPC) or a failing device (EIO) would.
///
/// Production code always uses `.none`. The spool asks before each call that
/// changes the disk: `"open"` (creating a file), `"write"`, `"fdatasync"`,
/// `"fsync"` (a directory), `"syncfs"`, `"rename"`, `"link"`.
public struct SpoolFaults: Sendable {
    /// Given the call's name and the path it acts on, returns an errno to fail
    /// with instead of making the call, or nil to make it.
    public let failure: (@Sendable (_ call: String, _ path: String) -> Int32?)?

    public init(failure: (@Sendable (_ call: String, _ path: String) -> Int32?)?) {
        self.failure = failure
    }

    /// No injected failures.
    public static let none = SpoolFaults(failure: nil)

    /// Throws the injected failure for `call` on `path`, if there is one.
    func check(_ call: String, _ path: String) throws(SystemError) {
        if let failure, let code = failure(call, path) {
            throw SystemError(call: "\(call)(\(path))", errno: code)
        }
    }
}
