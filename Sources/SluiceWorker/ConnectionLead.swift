import Synchronization

/// How long a transfer takes from its start to the moment its request can be
/// written (a connection opened, a TLS handshake, a proxy's hop), as the
/// slowest seen in the last one to two minutes.
///
/// A worker hands a request to the executor that much (and `HTTPExecutor.
/// handOverLead`) before its granted instant, and books no instant nearer
/// than that to now, so a connection opened for the request is ready by its
/// instant and the request waits at the gate instead of going late. Why it
/// must: a request found too late is aborted, and libcurl closes the
/// connection it had opened for it; with a setup slower than the lateness
/// allowed and no lead to cover it, every booking would open a connection,
/// be too late, be booked again, and the queue would send nothing, for ever.
///
/// Thread-safe: the pool's threads record, the worker's attempts read.
final class ConnectionLead: Sendable {
    /// How long a setup counts: the slowest of the current span and the one before.
    static let span: UInt64 = 60_000_000_000
    /// The longest lead: a setup slower than this is the request timeout's
    /// business, not a reason to hold requests back further.
    static let longest: UInt64 = 1_000_000_000

    private struct Spans {
        var current: UInt64 = 0
        var previous: UInt64 = 0
        var since: UInt64 = 0

        mutating func roll(to now: UInt64) {
            guard now &- since >= ConnectionLead.span else { return }
            previous = now &- since >= 2 * ConnectionLead.span ? 0 : current
            current = 0
            since = now
        }
    }

    private let spans = Mutex(Spans())

    init() {}

    /// A transfer that started `setup` ns before it could write its request.
    func record(setup: UInt64, at now: UInt64) {
        spans.withLock { spans in
            spans.roll(to: now)
            spans.current = max(spans.current, setup)
        }
    }

    /// Half as much again as the slowest recent setup, at most `longest`.
    func lead(at now: UInt64) -> UInt64 {
        let slowest = spans.withLock { spans in
            spans.roll(to: now)
            return max(spans.current, spans.previous)
        }
        return slowest >= Self.longest ? Self.longest : min(slowest + slowest / 2, Self.longest)
    }
}
