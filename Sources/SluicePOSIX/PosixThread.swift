import Glibc

/// A dedicated POSIX thread, for work that blocks (`epoll_wait`, `recv`,
/// `sigwait`) and so must never run on a thread of Swift's cooperative pool.
public struct PosixThread: @unchecked Sendable {
    private let thread: pthread_t

    /// Starts `body` on a new thread. Traps only if the system cannot create a
    /// thread at all (pthread_create's EAGAIN), which no caller can recover from.
    public static func start(_ body: @escaping @Sendable () -> Void) -> PosixThread {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed with \(result)")
        return PosixThread(thread: thread)
    }

    /// Waits for the thread's body to return.
    public func join() { pthread_join(thread, nil) }

    /// Lets the thread end on its own; nobody will join it.
    public func detach() { pthread_detach(thread) }
}
