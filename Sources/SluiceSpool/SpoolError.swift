import Glibc
import SluicePOSIX

/// A spool operation that failed. The description says what was being done,
/// what went wrong, and what to do about it.
public struct SpoolError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The failed system call underneath, if any.
    public let systemError: SystemError?

    /// The request itself is too large for one batch (count or bytes): the
    /// caller's to split, not a fault of the spool (ingest answers 413).
    public private(set) var batchTooLarge = false

    public init(_ description: String, systemError: SystemError? = nil) {
        self.description = description
        self.systemError = systemError
    }

    static func batchTooLarge(_ description: String) -> SpoolError {
        var error = SpoolError(description)
        error.batchTooLarge = true
        return error
    }

    /// `doing` failed because of `error`; adds the fix the errno calls for.
    static func io(_ doing: String, _ error: SystemError) -> SpoolError {
        SpoolError("\(doing): \(error)\(fix(for: error.errno))", systemError: error)
    }

    private static func fix(for code: Int32) -> String {
        switch code {
        case ENOSPC, EDQUOT: "; free space on the spool's file system (or raise the quota) and retry"
        case EIO: "; the device reported an I/O error: check it (dmesg, smartctl) before retrying"
        case EACCES, EPERM: "; run as the spool's owner, or fix its permissions (owner-only, 0700)"
        case EROFS: "; the file system is mounted read-only"
        case EMFILE, ENFILE: "; too many open files: raise the limit (ulimit -n)"
        default: ""
        }
    }

    /// The same error with `sentence` appended: what became of the work.
    func adding(_ sentence: String) -> SpoolError {
        SpoolError("\(description); \(sentence)", systemError: systemError)
    }

    static func leaseLost(_ lease: Lease, _ doing: String) -> SpoolError {
        SpoolError("\(doing) task \"\(lease.task.id)\": its lease leased/\(lease.fileName) is gone; "
                   + "another process recovered it (was this process thought dead?); the task was left as it is")
    }
}

/// Runs `body`, turning a system error into a `SpoolError` that says what was being done.
func spoolIO<T>(_ doing: @autoclosure () -> String, _ body: () throws -> T) throws(SpoolError) -> T {
    do {
        return try body()
    } catch let error as SystemError {
        throw SpoolError.io(doing(), error)
    } catch let error as SpoolError {
        throw error
    } catch {
        throw SpoolError("\(doing()): \(error)")
    }
}
