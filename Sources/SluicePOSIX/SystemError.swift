import Glibc

/// A failed system call: which call, and the `errno` it left.
///
/// Its description reads like `shm_open failed: Permission denied (errno 13)`,
/// so it can be shown to an operator as it is.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The name of the call that failed, e.g. `"shm_open"`, optionally with context.
    public let call: String
    /// The `errno` value the call left.
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Runs a system call that reports failure by returning -1 and setting `errno`.
///
/// Retries on `EINTR` (a signal interrupted the call before it did anything:
/// signal(7), "Interruption of system calls"). Traps on `EBADF` and `EFAULT`,
/// which can only mean a bug in Sluice, never a condition to handle.
@discardableResult
public func syscall<Result: BinaryInteger>(
    _ call: @autoclosure () -> String,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        switch code {
        case EINTR:
            continue
        case EBADF, EFAULT:
            fatalError("\(call()) failed with \(SystemError(call: call(), errno: code)): a bug in Sluice")
        default:
            throw SystemError(call: call(), errno: code)
        }
    }
}
