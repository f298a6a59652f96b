/// The pure arithmetic of the host's agent: how many instants to reserve,
/// what mapping error to declare, and where a granted block falls on this
/// host's clock. Integers only (ns); tested as tables.
public enum BlockPlan {
    /// The most instants one block holds: a quarter second of the schedule,
    /// at least 1, at most 1,000 (a block is what a dying host strands).
    public static func largestBlock(interval: UInt64) -> UInt64 {
        guard interval > 0 else { return 1 }
        return min(max(250_000_000 / interval, 1), 1_000)
    }

    /// The instants to reserve now, 0 for none, in one block: one for each
    /// attempt waiting (each holds a task it will start), and ahead of need
    /// what the host used over `lead` at its recent pace (`paced`), but never
    /// more than the ready tasks it has (`backlog`), less what it holds still
    /// to come. Reserved once the host's instants are about to run out
    /// (`dry`), or once the shortfall reaches `batch`: Redis is called in
    /// batches, not per request. Nothing is reserved for tasks that do not
    /// exist, so a host whose backlog ends strands no instant the others
    /// could have used.
    public static func instantsToReserve(waiting: Int, backlog: Int, paced: UInt64, ahead: UInt64, dry: Bool,
                                         batch: UInt64, interval: UInt64) -> UInt64 {
        let wanted = UInt64(max(waiting, 0)) + min(UInt64(max(backlog, 0)), paced)
        guard wanted > ahead else { return 0 }
        let shortfall = wanted - ahead
        guard dry || shortfall >= max(1, batch) else { return 0 }
        return min(shortfall, largestBlock(interval: interval))
    }

    /// What the host uses in `span` ns at `usedPerSecond`, rounded up.
    public static func paced(usedPerSecond: Double, span: UInt64) -> UInt64 {
        UInt64(max(0, (usedPerSecond * Double(span) / 1e9).rounded(.up)))
    }

    /// The batch worth a call: what the host used in `span` ns at its recent
    /// pace, at least 1, at most half the largest block.
    public static func batch(usedPerSecond: Double, span: UInt64, interval: UInt64) -> UInt64 {
        max(1, min(paced(usedPerSecond: usedPerSecond, span: span), largestBlock(interval: interval) / 2))
    }

    /// The mapping bound a host declares for its next block: a block's
    /// instants land on this host's clock within half its round trip, so a
    /// block whose round trip exceeds the bound is not used. At least one
    /// interval (below that the guard it buys is zero anyway), at least
    /// 1 ms, about four typical round trips, at most the call's timeout; plus
    /// 500 ppm of the block's span for the two clocks' rates.
    public static func bound(interval: UInt64, typicalRoundTrip: UInt64, callTimeout: UInt64, count: UInt64) -> UInt64 {
        let base = min(max(interval, 1_000_000, typicalRoundTrip.multipliedReportingOverflow(by: 4).partialValue), callTimeout)
        let span = count.multipliedReportingOverflow(by: interval)
        return base &+ (span.overflow ? 0 : span.partialValue / 2_000)
    }

    /// What of a block is safe to use when its round trip exceeded the
    /// bound it was reserved with: its instants may land up to
    /// `(roundTrip − bound) / 2` further from Redis's than its neighbours'
    /// guards allow, so that much is dropped at each end (its instants pass
    /// unused); what is left sits where the whole block could have, had it
    /// kept its bound. Returns the instants to skip at the start and the
    /// instants left, or nil when nothing is left.
    public static func trimmed(count: UInt64, interval: UInt64, roundTrip: UInt64, bound: UInt64) -> (skip: UInt64, count: UInt64)? {
        guard roundTrip > bound else { return (0, count) }
        guard interval > 0 else { return nil }
        let excess = (roundTrip - bound + 1) / 2
        let edge = (excess + interval - 1) / interval
        guard count > 2 * edge else { return nil }
        return (edge, count - 2 * edge)
    }

    /// The first instant of a block on this host's monotonic clock: Redis
    /// read its clock somewhere between sending and receiving, so the
    /// midpoint is within half the round trip of it; the first instant is
    /// `offset` after that.
    public static func firstInstant(sentAt: UInt64, receivedAt: UInt64, offset: UInt64) -> UInt64 {
        sentAt + (receivedAt - sentAt) / 2 + offset
    }
}
