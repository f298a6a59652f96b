import CSluiceShim
import Glibc
import SluicePOSIX

/// An epoll(7) instance, level-triggered, with a 64-bit token per descriptor.
///
/// Owned by the event-loop thread; not shared.
final class Epoll {
    let fd: Int32
    private var events: [epoll_event]

    init(capacity: Int = 256) throws(SystemError) {
        fd = try syscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        events = Array(repeating: epoll_event(), count: capacity)
    }

    deinit { close(fd) }

    /// Event bits, as `UInt32` (the C enum's raw values).
    static let input = UInt32(EPOLLIN.rawValue)
    static let output = UInt32(EPOLLOUT.rawValue)
    static let hangUp = UInt32(EPOLLHUP.rawValue)
    static let error = UInt32(EPOLLERR.rawValue)

    func add(_ descriptor: Int32, events mask: UInt32, token: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_ADD, descriptor, mask, token)
    }

    func modify(_ descriptor: Int32, events mask: UInt32, token: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_MOD, descriptor, mask, token)
    }

    /// Closing a descriptor removes it too; this is for descriptors kept open.
    func remove(_ descriptor: Int32) {
        epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, nil)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and returns (token, events) pairs.
    func wait(timeoutMilliseconds: Int32) -> [(token: UInt64, events: UInt32)] {
        let count = events.withUnsafeMutableBufferPointer { buffer in
            epoll_wait(fd, buffer.baseAddress, Int32(buffer.count), timeoutMilliseconds)
        }
        // EINTR (a signal) is an empty wake-up; the caller loops anyway.
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { (token: events[$0].data.u64, events: events[$0].events) }
    }

    private func control(_ operation: Int32, _ descriptor: Int32, _ mask: UInt32, _ token: UInt64) throws(SystemError) {
        var event = epoll_event()
        event.events = mask
        event.data.u64 = token
        try syscall("epoll_ctl") { epoll_ctl(fd, operation, descriptor, &event) }
    }
}
