import Synchronization

/// Shares one rendering of a page among the requests that arrive while it
/// is being rendered (a "single flight"): under a burst of scrapes the page
/// is rendered once per round, not once per request.
///
/// A request that joins a rendering in progress gets values read at most
/// one rendering earlier than it arrived (tens of microseconds for
/// `/metrics`); one that arrives when none is in progress starts its own.
final class RenderCoalescer: Sendable {
    private let waiters = Mutex<[CheckedContinuation<[UInt8], Never>]?>(nil)

    /// Requests waiting for the rendering in progress (for tests).
    var waiting: Int { waiters.withLock { $0?.count ?? 0 } }

    func page(_ render: () -> [UInt8]) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            let leads: Bool = waiters.withLock { waiters in
                guard waiters != nil else {
                    waiters = []
                    return true
                }
                waiters!.append(continuation)
                return false
            }
            guard leads else { return }
            let bytes = render()
            let followers = waiters.withLock { waiters in
                defer { waiters = nil }
                return waiters ?? []
            }
            continuation.resume(returning: bytes)
            for follower in followers { follower.resume(returning: bytes) }
        }
    }
}
