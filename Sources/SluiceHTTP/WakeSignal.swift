import CSluiceShim
import Glibc
import SluicePOSIX

/// An eventfd(2) another thread writes to wake the loop out of `epoll_wait`.
final class WakeSignal: Sendable {
    let fd: Int32

    init() throws(SystemError) {
        fd = try syscall("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    deinit { close(fd) }

    /// Makes the descriptor readable. Never blocks; repeated signals coalesce.
    func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    /// Clears the readable state.
    func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
