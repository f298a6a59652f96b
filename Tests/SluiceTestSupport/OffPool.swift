import SluicePOSIX

/// Runs blocking test code (socket reads, sleeps, waiting on a child) on a
/// thread of its own, so it never occupies one of the few threads of Swift's
/// cooperative pool, which the code under test (e.g. HTTP handlers) needs.
/// On a 2-core machine two tests blocking the pool would starve the server
/// they are talking to.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        PosixThread.start {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.detach()
    }
}
