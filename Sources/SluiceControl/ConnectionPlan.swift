/// How many connections the listener may hold, from the descriptors the
/// process may open: each connection is one descriptor, and the spool, the
/// handlers (ingest opens and syncs files) and the probes need theirs too.
/// At the limit, `accept` fails and `/healthz` would hang; ingest would fail
/// to open the spool's files.
///
/// Pure: the limit and what is open now are given.
public struct ConnectionPlan: Equatable, Sendable {
    /// Client connections open at once.
    public let maxConnections: Int
    /// Connections let in beyond it, for probes (`/healthz`, `/readyz`) only.
    public let probeConnections: Int
    /// Descriptors kept free for the spool and the handlers.
    public let reserve: Int
    /// The soft limit the plan was made for, and what was open then.
    public let descriptorLimit: Int
    public let openAtStart: Int

    /// A quarter of what is free, at least 32, at most 256, stays free for
    /// files; an eighth of that (4…16) is for probes over the cap; the rest,
    /// up to `configured`, is for connections (at least 1).
    public init(descriptorLimit: Int, openNow: Int, configured: Int) {
        let available = max(0, descriptorLimit - openNow)
        reserve = min(256, max(32, available / 4))
        probeConnections = min(16, max(4, reserve / 8))
        maxConnections = max(1, min(configured, available - reserve - probeConnections))
        self.descriptorLimit = descriptorLimit
        openAtStart = openNow
    }
}
