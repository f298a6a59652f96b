import SluiceJSON

/// The unseen second client of a `sharedBudget` fault: its spending so far,
/// caught up to each instant the engine is asked about.
///
/// Pure and clock-free like the engine: instead of a timer, `catchUp(to:)`
/// charges every request the client would have sent up to `now`, each at
/// its own instant and in order, before the engine decides anything at
/// `now`. The windows therefore hold exactly what a real timer would have
/// put in them. Per shared limit of the endpoint, it sends `cost` units
/// every `interval`, which is `share` of the limit per window; a request
/// the window cannot take is refused (not charged), as a real client's would be.
/// (A request read a few µs before another but served after it may follow
/// the spender's charges up to the later instant; the windows tolerate that
/// order, as they do between two requests.)
struct SharedBudgetSpender {
    let budget: FaultPlan.SharedBudget
    /// The monotonic instant the plan was set: its first request.
    let start: UInt64
    private var streams: [Stream]

    /// One limit's requests: the k-th at `start + k·interval`.
    private struct Stream {
        let limit: SandboxLimitName
        let cost: UInt64
        let interval: Double
        let window: UInt64
        var next: UInt64 = 0
        var spent: UInt64 = 0
        var refused: UInt64 = 0
    }

    /// Most requests per window of one stream: a tokens limit is spent in
    /// larger pieces rather than one token at a time.
    static let mostPerWindow = 1_000.0

    init(_ budget: FaultPlan.SharedBudget, limits: [SandboxLimitName: WindowLimit], start: UInt64) {
        self.budget = budget
        self.start = start
        streams = budget.endpoint.sharedLimits.compactMap { name in
            guard let limit = limits[name] else { return nil } // unlimited: nothing to spend
            let units = budget.share * Double(limit.allowed)
            let cost = max(1, (units / Self.mostPerWindow).rounded(.up))
            return Stream(limit: name, cost: UInt64(cost), interval: Double(limit.window) * cost / units, window: limit.window)
        }
    }

    /// The instant spending stops, if it does.
    var stopsAt: UInt64? { budget.until.map { start &+ $0 } }

    /// Charges every request sent up to `now` (not past `until`).
    mutating func catchUp(to now: UInt64, limits: inout SandboxLimits) {
        let end = min(now, stopsAt ?? .max)
        guard end >= start else { return }
        for index in streams.indices {
            var stream = streams[index]
            // Requests that left the window long ago cannot change a decision: skip them, counted as spent.
            let windowStart = end > stream.window ? end - stream.window : 0
            if windowStart > start, stream.interval.isFinite {
                let first = UInt64(min(9.0e18, (Double(windowStart - start) / stream.interval).rounded(.down)))
                if first > stream.next {
                    stream.spent += (first - stream.next) * stream.cost
                    stream.next = first
                }
            }
            while true {
                // A share so small that its interval is beyond any instant (even infinite) never sends:
                // `UInt64(_:)` of such a Double would trap.
                let offset = Double(stream.next) * stream.interval
                guard offset < 9.0e18 else { break }
                let instant = start &+ UInt64(offset)
                guard instant <= end else { break }
                if limits.spendUnseen(stream.limit, cost: stream.cost, at: instant) { stream.spent += stream.cost } else { stream.refused += stream.cost }
                stream.next += 1
            }
            streams[index] = stream
        }
    }

    /// For stats: the fault, whether it still spends, and per limit what it spent and was refused.
    func json(now: UInt64) -> JSONValue {
        .object([
            ("endpoint", .string(budget.endpoint.rawValue)), ("share", .double(budget.share)),
            ("active", .bool(now < stopsAt ?? .max)),
            ("limits", .object(streams.map { stream in
                (stream.limit.rawValue, .object([("spent", .integer(Int(clamping: stream.spent))), ("refused", .integer(Int(clamping: stream.refused)))]))
            })),
        ])
    }
}
