/// One limit's recent history: what it admitted and what arrived, each as
/// (instant, cost) inside the trailing window.
///
/// A request at `t` counts in the window until `t + width` (the window
/// ending now is `(now − width, now]`), so "Retry-After: 1" after a burst at
/// `t` is exactly right at `t + 1 s`. Invariant: the admitted cost in the window
/// never exceeds `limit.allowed`. `worstArrivals` is the most cost that
/// *arrived* (admitted or refused) in any window so far: ≤ allowed means the
/// client kept to the limit.
struct SlidingLog {
    let limit: WindowLimit
    private var admitted = InstantLog()
    private var arrivals = InstantLog()
    private(set) var worstArrivals: UInt64 = 0
    /// Every cost unit that arrived, since the start.
    private(set) var totalArrived: UInt64 = 0

    init(limit: WindowLimit) { self.limit = limit }

    /// When a request of `cost` could be admitted: 0 if now, nil if never (it
    /// is larger than the whole window allows).
    mutating func wait(forCost cost: UInt64, now: UInt64) -> UInt64? {
        guard cost <= limit.allowed else { return nil }
        admitted.dropEntries(atOrBefore: cutoff(now))
        return admitted.waitUntilFits(cost, allowed: limit.allowed, window: limit.window, now: now)
    }

    /// Notes a request that reached this limit, admitted or not.
    mutating func recordArrival(cost: UInt64, now: UInt64) {
        arrivals.dropEntries(atOrBefore: cutoff(now))
        arrivals.append(now, cost)
        totalArrived &+= cost
        worstArrivals = max(worstArrivals, arrivals.sum)
    }

    /// Charges an admitted request. Requires: `wait(forCost:now:)` said 0.
    mutating func admit(cost: UInt64, now: UInt64) {
        admitted.append(now, cost)
    }

    /// Charges `cost` if the window has room for it now, without counting an
    /// arrival; false (nothing charged) if it has not.
    mutating func admitIfRoom(cost: UInt64, now: UInt64) -> Bool {
        guard wait(forCost: cost, now: now) == 0 else { return false }
        admit(cost: cost, now: now)
        return true
    }

    /// Units still allowed now, and nanoseconds until the oldest admitted
    /// entry leaves the window (0 when nothing is in it).
    mutating func headroom(now: UInt64) -> (remaining: UInt64, resetAfter: UInt64) {
        admitted.dropEntries(atOrBefore: cutoff(now))
        let remaining = limit.allowed > admitted.sum ? limit.allowed - admitted.sum : 0
        guard let oldest = admitted.oldest else { return (remaining, 0) }
        return (remaining, oldest + limit.window > now ? oldest + limit.window - now : 0)
    }

    /// The admitted cost in the window ending now.
    mutating func current(now: UInt64) -> UInt64 {
        admitted.dropEntries(atOrBefore: cutoff(now))
        return admitted.sum
    }

    /// True when nothing admitted is left in the window: the log can be forgotten.
    mutating func isEmpty(now: UInt64) -> Bool { current(now: now) == 0 && arrivals.oldest.map { $0 <= cutoff(now) } ?? true }

    /// Entries at or before this instant have left the window.
    private func cutoff(_ now: UInt64) -> UInt64 { now > limit.window ? now - limit.window : 0 }
}

/// (instant, cost) pairs in arrival order, with their running sum; old ones
/// are dropped from the front in O(1) amortised.
struct InstantLog {
    private var instants: [UInt64] = []
    private var costs: [UInt64] = []
    private var head = 0
    private(set) var sum: UInt64 = 0

    var oldest: UInt64? { head < instants.count ? instants[head] : nil }

    mutating func append(_ instant: UInt64, _ cost: UInt64) {
        instants.append(instant)
        costs.append(cost)
        sum += cost
    }

    /// Drops entries at or before `cutoff`.
    mutating func dropEntries(atOrBefore cutoff: UInt64) {
        while head < instants.count, instants[head] <= cutoff {
            sum -= costs[head]
            head += 1
        }
        if head > 1_024 && head * 2 > instants.count {
            instants.removeFirst(head)
            costs.removeFirst(head)
            head = 0
        }
    }

    /// Nanoseconds from `now` until `cost` more fits under `allowed`, as the
    /// oldest entries leave the window (an entry at `t` leaves at `t + window`).
    func waitUntilFits(_ cost: UInt64, allowed: UInt64, window: UInt64, now: UInt64) -> UInt64 {
        var remaining = sum
        var index = head
        while remaining + cost > allowed, index < instants.count {
            remaining -= costs[index]
            let leaves = instants[index] + window
            if remaining + cost <= allowed { return leaves > now ? leaves - now : 0 }
            index += 1
        }
        return 0
    }
}
