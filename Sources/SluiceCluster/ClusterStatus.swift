import Synchronization

/// What the host's agent reports, for `/readyz` and `/metrics`: whether
/// Redis answers, why not, and what the agent did. Written by the agent,
/// read by the listener's handlers.
public final class ClusterStatus: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// Redis answered the last call (before the first: true).
        public var up = true
        /// Why it is down, and what the host does meanwhile.
        public var reason: String?
        /// Calls to Redis (each one script run, or a NOSCRIPT reload and run).
        public var redisCalls: UInt64 = 0
        public var failedCalls: UInt64 = 0
        /// Blocks published to the workers, and their instants.
        public var blocksGranted: UInt64 = 0
        public var instantsGranted: UInt64 = 0
        /// Blocks whose round trip exceeded the declared bound so far that
        /// none of it could be used, and instants dropped at the ends of
        /// blocks whose round trip exceeded it by less (see `BlockPlan.trimmed`).
        public var blocksDiscarded: UInt64 = 0
        public var instantsTrimmed: UInt64 = 0
        /// Blocks this host made alone at the rate ÷ maxHosts (`share`), and their instants.
        public var blocksShared: UInt64 = 0
        public var instantsShared: UInt64 = 0
        /// Holds (429s) this host published to the fleet, and holds of
        /// other hosts it applied to its own segment.
        public var holdsPublished: UInt64 = 0
        public var holdsApplied: UInt64 = 0
        /// Runtime changes (set-rate, pause, resume) this host wrote to
        /// Redis, and changes of other hosts it applied.
        public var settingsWritten: UInt64 = 0
        public var settingsApplied: UInt64 = 0
        /// Rate decreases (429s) of other hosts' learning this host applied.
        public var decreasesApplied: UInt64 = 0
        /// The latest round trip to Redis, ns.
        public var lastRoundTrip: UInt64 = 0
        public var host = ""

        public init() {}
    }

    private let state = Mutex(Snapshot())

    public init(host: String) { state.withLock { $0.host = host } }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}
