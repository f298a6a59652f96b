import SluiceJSON

/// Every provider request the sandbox saw, in arrival order: when it arrived
/// and how it was answered. `GET /__sandbox/arrivals` exports it, so a
/// benchmark can draw starts per 100 ms against a limit, or count sliding-window
/// violations itself, for any client (Sluice or another framework) alike.
///
/// Instants are microseconds since the sandbox started (or was last reset), on
/// the clock the limits use. The status is the one answered; 0 means the
/// connection was dropped without an answer (the drop fault). The echo route
/// is not recorded: it is no provider and the executor bench sends it hundreds
/// of thousands of requests.
///
/// Invariant: at most `capacity` entries are kept across all endpoints, so a
/// long-running sandbox's memory stays bounded (about 10 bytes an entry); the
/// arrivals beyond it are only counted, in `omitted`.
struct ArrivalLog {
    struct Entries {
        var microseconds: [UInt64] = []
        var statuses: [UInt16] = []
    }

    static let defaultCapacity = 2_000_000

    let capacity: Int
    private(set) var endpoints: [SandboxEndpoint: Entries] = [:]
    private(set) var count = 0
    private(set) var omitted = 0

    init(capacity: Int = ArrivalLog.defaultCapacity) { self.capacity = capacity }

    /// Notes one request of `endpoint` that arrived `sinceStart` ns after the start.
    mutating func record(_ endpoint: SandboxEndpoint, sinceStart: UInt64, status: Int) {
        guard endpoint != .echo else { return }
        guard count < capacity else {
            omitted += 1
            return
        }
        count += 1
        endpoints[endpoint, default: Entries()].microseconds.append(sinceStart / 1_000)
        endpoints[endpoint, default: Entries()].statuses.append(UInt16(clamping: status))
    }

    /// `{"unit": "us", "omitted": N, "monotonicStart": ns, "endpoints": {"<name>": {"at": [...], "status": [...]}, ...}}`,
    /// every provider endpoint present (empty arrays when it saw nothing).
    /// The export; `start` is the CLOCK_MONOTONIC instant (ns) the instants
    /// count from, so a test on the same host can place its own events among them.
    func json(start: UInt64) -> JSONValue {
        .object([
            ("unit", .string("us")), ("omitted", .integer(omitted)), ("monotonicStart", .integer(Int(clamping: start))),
            ("endpoints", .object(SandboxEndpoint.allCases.filter { $0 != .echo }.map { endpoint in
                let entries = endpoints[endpoint] ?? Entries()
                return (endpoint.rawValue, .object([
                    ("at", .array(entries.microseconds.map { .integer(Int($0)) })),
                    ("status", .array(entries.statuses.map { .integer(Int($0)) })),
                ]))
            })),
        ])
    }
}
