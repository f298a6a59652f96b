import SluicePOSIX

/// A seam for tests: is told about each file-system call the spool is about
/// to make, and may fail it with a chosen `errno` (a full disk's ENOSPC, a
/// failing device's EIO), block it (to widen a race with another process),
/// or end the process there (a crash at an exact step).
///
/// Production code always uses `.none`. The calls named: `"open"` (creating
/// a file), `"write"`, `"fdatasync"`, `"fsync"` (a directory), `"syncfs"`,
/// `"rename"`, `"exchange"` (an atomic swap of two names), `"link"`,
/// `"unlink"`, `"read"` (opening a file to read it), `"list"` (reading a
/// directory) and `"stat"` (looking a name up).
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

    /// Tells the seam about a call that cannot fail in a way the caller
    /// handles (a look-up that answers yes or no): it may block or end the
    /// process here; an errno it returns is ignored.
    func observe(_ call: String, _ path: String) {
        if let failure { _ = failure(call, path) }
    }
}
