import Glibc

/// Runs blocking test code (socket reads, sleeps, waiting on a child) on a
/// thread of its own, so it never occupies one of the few threads of Swift's
/// cooperative pool, which the code under test (e.g. HTTP handlers) needs.
/// On a 2-core machine two tests blocking the pool would starve the server
/// they are talking to.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        startThread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
    }
}

/// Starts `body` on a new detached POSIX thread.
private func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { context in
        guard let context else { return nil }
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        return nil
    }, context)
    precondition(result == 0, "pthread_create failed with \(result)")
    pthread_detach(thread)
}
