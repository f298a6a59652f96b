import Synchronization

/// What the server has done so far: a snapshot of its counters.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Connections accepted and kept (not refused).
    public var acceptedConnections: Int
    /// Connections refused with 503 because `maxConnections` were open.
    public var refusedConnections: Int
    /// Connections open now.
    public var openConnections: Int
    /// The most connections open at once so far.
    public var peakOpenConnections: Int
    /// Requests handed to the handler.
    public var requests: Int
    /// Connections closed by a timeout (idle, read, write or linger).
    public var timedOutConnections: Int
    /// Connections let in over the cap for priority paths (probes).
    public var priorityConnections: Int
    /// Body bytes held now across connections (the body budget in use).
    public var bufferedBodyBytes: Int
    /// Connections closed at the cap to make room for a new one (idle ones,
    /// or priority ones with no request in hand).
    public var evictedConnections: Int
}

/// The counters behind `HTTPServerStatistics`, updated by the loop thread and
/// read from any thread.
final class HTTPServerCounters: Sendable {
    let accepted = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let open = Atomic<Int>(0)
    let peakOpen = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
    let priority = Atomic<Int>(0)
    let buffered = Atomic<Int>(0)
    let evicted = Atomic<Int>(0)

    func connectionOpened() {
        accepted.add(1, ordering: .relaxed)
        let now = open.add(1, ordering: .relaxed).newValue
        peakOpen.max(now, ordering: .relaxed)
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }

    var snapshot: HTTPServerStatistics {
        HTTPServerStatistics(
            acceptedConnections: accepted.load(ordering: .relaxed), refusedConnections: refused.load(ordering: .relaxed),
            openConnections: open.load(ordering: .relaxed), peakOpenConnections: peakOpen.load(ordering: .relaxed),
            requests: requests.load(ordering: .relaxed), timedOutConnections: timedOut.load(ordering: .relaxed),
            priorityConnections: priority.load(ordering: .relaxed), bufferedBodyBytes: buffered.load(ordering: .relaxed),
            evictedConnections: evicted.load(ordering: .relaxed))
    }
}
