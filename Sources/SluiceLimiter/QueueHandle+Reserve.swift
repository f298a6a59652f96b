import SluicePOSIX
import Synchronization

extension QueueHandle {
    /// Reserves the earliest start instant for one request, waiting at most
    /// `maxWait` ns: charges the queue's rate, its weighted limits by `cost`,
    /// and the per-key limit of `key` (if the queue has one), all at one
    /// common instant.
    ///
    /// Reserving a future instant, rather than polling until allowed, is what
    /// spaces waiting callers evenly across processes: each gets its own slot
    /// in the schedule, so there is no thundering herd and no busy-wait.
    @inline(__always)
    public func reserve(cost: UInt64 = 1, key: String? = nil, maxWait: UInt64) -> Reservation {
        let config = ConfigRecord.read(block: block)
        if config.paused {
            counters.add(.pausedRefusals)
            return .paused
        }
        // A push-back is a floor of its own, not only a moved TAT: a reservation
        // given back after it may lower the TAT below it again.
        let held = pushedBackUntil
        // An unlimited rate needs no schedule, on one host or many.
        if isCoordinated, config.rate.interval > 0 {
            return reserveCoordinated(config: config, cost: cost, key: key, maxWait: maxWait, notBefore: held).reservation
        }
        if config.weightedCount == 0, key == nil || !config.hasPerKey,
           let reservation = reserveMainCell(limit: config.rate, maxWait: maxWait, notBefore: held) {
            return reservation
        }
        return reserveCells(config: config, cost: cost, key: key, maxWait: maxWait, notBefore: held).reservation
    }

    /// Takes capacity only if the request may start now (Go's `Allow`).
    @inline(__always)
    public func tryAcquire(cost: UInt64 = 1, key: String? = nil) -> Reservation {
        reserve(cost: cost, key: key, maxWait: 0)
    }

    /// Reserves, then sleeps until the reserved instant (Go's `Wait`).
    ///
    /// Cancelling the task while it sleeps gives the reservation back where no
    /// one has reserved after it (otherwise it stays spent: conservative,
    /// never over-admitting) and throws `CancellationError`. A paused queue is
    /// re-checked every `pausePoll` ns until resumed or `maxWait` passes.
    public func acquire(
        cost: UInt64 = 1, key: String? = nil, maxWait: UInt64, pausePoll: UInt64 = 50_000_000
    ) async throws -> Reservation {
        let deadline = coordinator.clock.now() &+ maxWait
        while true {
            let now = coordinator.clock.now()
            let config = ConfigRecord.read(block: block)
            if config.paused {
                counters.add(.pausedRefusals)
                guard now < deadline else { return .paused }
                try await Task.sleep(nanoseconds: min(pausePoll, deadline - now))
                continue
            }
            let attempt = reserveAnyCells(config: config, cost: cost, key: key, maxWait: deadline > now ? deadline - now : 0,
                                          notBefore: pushedBackUntil)
            guard case .granted(let startAt) = attempt.reservation else { return attempt.reservation }
            do {
                let wait = startAt.subtractingSaturated(coordinator.clock.now())
                if wait > 0 { try await Task.sleep(nanoseconds: wait) }
                try Task.checkCancellation()
            } catch {
                attempt.commits.rollBack()
                throw error
            }
            return attempt.reservation
        }
    }

    /// Reserves like `reserve`, but not before `notBefore` (monotonic ns), and
    /// returns a ticket that can give the capacity back if the request will
    /// not start after all (shutdown, no concurrency slot). Never sleeps.
    ///
    /// Used by workers that combine the shared cells with a limit of their
    /// own: they charge their own cell at the same instant.
    public func reserveTicket(cost: UInt64 = 1, key: String? = nil, maxWait: UInt64, notBefore: UInt64 = 0) -> (Reservation, ReservationTicket) {
        let config = ConfigRecord.read(block: block)
        if config.paused {
            counters.add(.pausedRefusals)
            return (.paused, ReservationTicket(commits: Commits()))
        }
        let attempt = reserveAnyCells(config: config, cost: cost, key: key, maxWait: maxWait, notBefore: max(notBefore, pushedBackUntil))
        return (attempt.reservation, ReservationTicket(commits: attempt.commits))
    }

    /// `reserveCells`, or `reserveCoordinated` when the queue's rate comes
    /// from granted blocks.
    func reserveAnyCells(
        config: ConfigRecord, cost: UInt64, key: String?, maxWait: UInt64, notBefore: UInt64
    ) -> (reservation: Reservation, commits: Commits) {
        isCoordinated && config.rate.interval > 0
            ? reserveCoordinated(config: config, cost: cost, key: key, maxWait: maxWait, notBefore: notBefore)
            : reserveCells(config: config, cost: cost, key: key, maxWait: maxWait, notBefore: notBefore)
    }

    /// A coordinated queue's reservation: the next instant granted to this
    /// host (see `GrantLedger`) instead of the main cell; the queue's weighted
    /// and keyed cells, which are this host's own, are charged at that very
    /// instant, or the instant is given back and their answer returned.
    func reserveCoordinated(
        config: ConfigRecord, cost: UInt64, key: String?, maxWait: UInt64, notBefore: UInt64
    ) -> (reservation: Reservation, commits: Commits) {
        let (reservation, number) = claimGrant(maxWait: maxWait, notBefore: notBefore, edgeGuard: config.edgeGuard)
        guard case .granted(let start) = reservation, let number else { return (reservation, Commits()) }
        var commits = Commits(entries: [(grantTarget(), number, number &+ 1)])
        guard config.weightedCount > 0 || (key != nil && config.hasPerKey) else { return (reservation, commits) }
        // notBefore = start and maxWait = start − now: granted only at `start` itself.
        let now = coordinator.clock.now()
        let cells = reserveCells(config: config, cost: cost, key: key, maxWait: start.subtractingSaturated(now),
                                 notBefore: start, includingMainCell: false)
        guard case .granted = cells.reservation else {
            commits.rollBack()
            return (cells.reservation, Commits())
        }
        commits.entries += cells.commits.entries
        return (reservation, commits)
    }

    /// The single-cell case every queue without keys or weights takes: read
    /// TAT, decide, compare-and-swap. No allocation, no lock, one clock read.
    /// Returns nil while a push-back (`notBefore`) is still ahead: the
    /// general path handles that rare case.
    @inline(__always)
    func reserveMainCell(limit: GCRA.Limit, maxWait: UInt64, notBefore: UInt64) -> Reservation? {
        let cell = mainCell
        var tat = cell.pointee.load(ordering: .relaxed)
        while true {
            // Read the clock on every attempt: a retry after a lost race must
            // not decide with a stale instant.
            let now = coordinator.clock.now()
            if notBefore > now { return nil }
            switch GCRA.reserve(tat: tat, now: now, cost: 1, limit: limit, maxWait: maxWait) {
            case .granted(let startAt, let newTAT):
                let (exchanged, actual) = cell.pointee.compareExchange(
                    expected: tat, desired: newTAT, ordering: .acquiringAndReleasing)
                if exchanged {
                    counters.recordGrant(wait: startAt - now)
                    return .granted(startAt: startAt)
                }
                tat = actual
            case .denied(let retryAfter):
                counters.add(.denials)
                return .denied(retryAfter: retryAfter)
            case .costExceedsBurst:
                counters.add(.costRejections)
                return .costExceedsBurst
            }
        }
    }

    /// The general case: several cells (main, weighted, keyed) for one request.
    ///
    /// Phase 1 reads every cell and finds the common start instant S, the
    /// latest any cell allows. Phase 2 charges each cell *at S* by CAS. If a
    /// CAS loses a race, the cells already charged are given back (only where
    /// no one has charged after us) and the whole decision is made again, so a
    /// request is never charged in one cell at an instant other than its start.
    func reserveCells(
        config: ConfigRecord, cost: UInt64, key: String?, maxWait: UInt64, notBefore: UInt64 = 0, includingMainCell: Bool = true
    ) -> (reservation: Reservation, commits: Commits) {
        while true {
            let now = coordinator.clock.now()
            var targets = includingMainCell ? [CellTarget(storage: .word(mainCell), limit: config.rate, cost: 1)] : []
            for index in 0..<Int(config.weightedCount) {
                targets.append(CellTarget(storage: .word(weightedCell(index)), limit: config.weighted(index), cost: cost))
            }
            if let key, config.hasPerKey {
                let hash = KeyedCells.hash(key)
                guard let entry = keyedCells.resolve(hash: hash, now: now) else {
                    counters.add(.keyTableFull)
                    return (.keyTableFull, Commits())
                }
                targets.append(CellTarget(storage: .keyed(entry, hash: hash), limit: config.perKey, cost: 1))
            }
            var observed: [UInt64] = []
            var start = max(now, notBefore)
            var keyAllows = now
            for target in targets {
                guard let tat = target.load() else { break } // a keyed cell was reused: start over
                switch GCRA.reserve(tat: tat, now: now, cost: target.cost, limit: target.limit, maxWait: .max) {
                case .granted(let startAt, _):
                    start = max(start, startAt)
                    if target.isKeyed { keyAllows = startAt }
                case .costExceedsBurst:
                    counters.add(.costRejections)
                    return (.costExceedsBurst, Commits())
                case .denied(let retryAfter):
                    counters.add(.denials)
                    return (.denied(retryAfter: retryAfter), Commits())
                }
                observed.append(tat)
            }
            guard observed.count == targets.count else { continue }
            if start - now > maxWait {
                // The key alone is past the horizon: say so, so the caller
                // does not hold a place in the queue's line for it.
                if keyAllows - now > maxWait {
                    counters.add(.keyDeferrals)
                    return (.keyBusy(retryAfter: keyAllows - now - maxWait), Commits())
                }
                counters.add(.denials)
                return (.denied(retryAfter: start - now - maxWait), Commits())
            }
            var commits = Commits()
            for (target, tat) in zip(targets, observed) {
                guard let newTAT = GCRA.charge(tat: tat, at: start, cost: target.cost, limit: target.limit),
                      target.exchange(expected: tat, desired: newTAT) else { break }
                commits.entries.append((target, tat, newTAT))
            }
            if commits.entries.count == targets.count {
                counters.recordGrant(wait: start - now)
                return (.granted(startAt: start), commits)
            }
            commits.rollBack()
        }
    }
}

/// One GCRA cell a request is charged in: a plain 64-bit TAT, or a keyed
/// entry whose (hash, TAT) pair must still name our key.
struct CellTarget {
    enum Storage {
        case word(UnsafeMutablePointer<Atomic<UInt64>>)
        case keyed(UnsafeMutablePointer<Atomic<WordPair>>, hash: UInt64)
    }

    let storage: Storage
    let limit: GCRA.Limit
    let cost: UInt64

    var isKeyed: Bool { if case .keyed = storage { true } else { false } }

    /// The cell's TAT, or nil if a keyed entry no longer belongs to our key.
    func load() -> UInt64? {
        switch storage {
        case .word(let cell):
            return cell.pointee.load(ordering: .acquiring)
        case .keyed(let entry, let hash):
            let pair = entry.pointee.load(ordering: .acquiring)
            guard UInt64(pair.first) == hash, !KeyedCells.isPending(UInt64(pair.second)) else { return nil }
            return UInt64(pair.second)
        }
    }

    /// Compare-and-swap of the TAT; a keyed entry must also still hold our key.
    func exchange(expected: UInt64, desired: UInt64) -> Bool {
        switch storage {
        case .word(let cell):
            return cell.pointee.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing).exchanged
        case .keyed(let entry, let hash):
            return entry.pointee.compareExchange(
                expected: WordPair(first: UInt(hash), second: UInt(expected)),
                desired: WordPair(first: UInt(hash), second: UInt(desired)),
                ordering: .acquiringAndReleasing
            ).exchanged
        }
    }
}

/// A granted reservation that can still be given back.
public struct ReservationTicket: Sendable {
    let commits: Commits

    /// A ticket for nothing (a refused reservation).
    public static let none = ReservationTicket(commits: Commits())

    /// Gives the capacity back where no one has reserved after it; otherwise
    /// it stays spent (conservative: never over-admits).
    public func giveBack() { commits.rollBack() }
}

/// The cells one reservation charged, so they can be given back.
struct Commits: @unchecked Sendable {
    var entries: [(target: CellTarget, old: UInt64, new: UInt64)] = []

    /// Restores each cell whose TAT is still the one we wrote; a cell someone
    /// charged after us stays as it is (the capacity stays spent: safe).
    func rollBack() {
        for entry in entries.reversed() { _ = entry.target.exchange(expected: entry.new, desired: entry.old) }
    }
}
