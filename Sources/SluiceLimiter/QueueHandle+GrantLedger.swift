import Glibc
import SluiceCore
import SluicePOSIX
import Synchronization

/// A worker process's entry in its queue's table of attempts waiting for a
/// granted instant (what the host's agent reserves for).
public struct GrantWaiterEntry: Sendable, Equatable {
    let index: Int
}

/// The grant ledger in the segment (see `GrantLedger`).
///
/// Protocol: one writer, the host's agent (in the supervisor), publishes
/// blocks: it writes a ring entry (its number word zeroed first, the number
/// stored last, release), then raises `published` (release). Workers claim
/// numbers below `published` by compare-and-swap on `claimed`, reading the
/// entry with a check of its number word before and after (a seqlock per
/// entry); the agent overwrites an entry only once every instant of its
/// block is claimed or past.
extension QueueHandle {
    private var ledger: UnsafeMutableRawPointer { block + coordinator.layout.ledgerOffset }
    private var claimedWord: UnsafeMutablePointer<Atomic<UInt64>> { ledger.atomicWord(at: GrantLedger.Offset.claimed) }
    private var publishedWord: UnsafeMutablePointer<Atomic<UInt64>> { ledger.atomicWord(at: GrantLedger.Offset.published) }
    private var blocksWord: UnsafeMutablePointer<Atomic<UInt64>> { ledger.atomicWord(at: GrantLedger.Offset.blocks) }

    private func ringWord(_ entry: Int, _ word: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        ledger.atomicWord(at: GrantLedger.Offset.ring + entry * 32 + word * 8)
    }

    private func waiterWord(_ entry: Int, _ word: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        ledger.atomicWord(at: GrantLedger.Offset.waiters + entry * 16 + word * 8)
    }

    // MARK: Mode

    /// Whether the queue's rate comes from granted blocks (several hosts)
    /// rather than this host's main cell. Set by the supervisor at every
    /// start, before any worker runs.
    public var isCoordinated: Bool { ledger.atomicWord(at: GrantLedger.Offset.mode).pointee.load(ordering: .acquiring) == 1 }

    /// Makes the queue coordinated (or not), and discards every instant
    /// granted before: they were mapped by an agent that is gone.
    public func setCoordinated(_ coordinated: Bool) {
        discardGrants()
        ledger.atomicWord(at: GrantLedger.Offset.mode).pointee.store(coordinated ? 1 : 0, ordering: .releasing)
    }

    /// Every granted instant not yet claimed passes unused.
    public func discardGrants() {
        let published = publishedWord.pointee.load(ordering: .acquiring)
        var claimed = claimedWord.pointee.load(ordering: .acquiring)
        while claimed < published {
            let (exchanged, actual) = claimedWord.pointee.compareExchange(expected: claimed, desired: published, ordering: .acquiringAndReleasing)
            if exchanged {
                ledger.atomicWord(at: GrantLedger.Offset.passedUnused).pointee.wrappingAdd(published - claimed, ordering: .relaxed)
                return
            }
            claimed = actual
        }
    }

    // MARK: The agent's side

    /// Publishes a block of `count` instants from `firstInstant`, `interval`
    /// apart, after every instant granted so far. False (nothing published)
    /// when the ring still holds a block with instants to come: the host
    /// already holds `ringCapacity` blocks ahead.
    ///
    /// Requires: one publisher per queue (the host's agent).
    @discardableResult
    public func publishGrant(firstInstant: UInt64, count: UInt64, interval: UInt64) -> Bool {
        guard count > 0 else { return true }
        guard canPublishGrant else { return false }
        let blocks = blocksWord.pointee.load(ordering: .relaxed)
        let entry = Int(blocks % UInt64(GrantLedger.ringCapacity))
        let number = publishedWord.pointee.load(ordering: .relaxed)
        ringWord(entry, 0).pointee.store(0, ordering: .relaxed)
        // Readers that see the words below must not also see the old number.
        atomicMemoryFence(ordering: .releasing)
        ringWord(entry, 1).pointee.store(firstInstant, ordering: .relaxed)
        ringWord(entry, 2).pointee.store(count, ordering: .relaxed)
        ringWord(entry, 3).pointee.store(interval, ordering: .relaxed)
        ringWord(entry, 0).pointee.store(number &+ 1, ordering: .releasing)
        blocksWord.pointee.store(blocks &+ 1, ordering: .releasing)
        publishedWord.pointee.store(number &+ count, ordering: .releasing)
        return true
    }

    /// Whether the ring has room for one more block: its oldest block has
    /// no instant still to come (every one claimed, or past).
    public var canPublishGrant: Bool {
        let blocks = blocksWord.pointee.load(ordering: .relaxed)
        guard let old = readBlock(Int(blocks % UInt64(GrantLedger.ringCapacity))) else { return true }
        return old.endNumber <= claimedWord.pointee.load(ordering: .acquiring) || old.endInstant <= coordinator.clock.now()
    }

    /// Instants granted, not claimed and not yet past at `now`, and the
    /// instant just after the last granted one (0 if none was).
    public func grantsAhead(now: UInt64) -> (count: UInt64, until: UInt64) {
        let claimed = claimedWord.pointee.load(ordering: .acquiring)
        let published = publishedWord.pointee.load(ordering: .acquiring)
        let blocks = blocksWord.pointee.load(ordering: .acquiring)
        var count: UInt64 = 0
        var until: UInt64 = 0
        for back in 0..<UInt64(min(blocks, UInt64(GrantLedger.ringCapacity))) {
            guard let block = readBlock(Int((blocks - 1 - back) % UInt64(GrantLedger.ringCapacity))) else { continue }
            until = max(until, block.endInstant)
            guard block.endNumber > claimed, block.firstNumber < published else { continue }
            // The first number of the block whose instant is not past.
            let behind = now > block.firstInstant ? now - block.firstInstant : 0
            let firstAhead = block.interval == 0 ? block.endNumber
                : block.firstNumber &+ min(block.count, (behind + block.interval - 1) / block.interval)
            let from = max(firstAhead, claimed)
            if from < block.endNumber { count += block.endNumber - from }
        }
        return (count, until)
    }

    /// Instants skipped because they were past before anyone claimed them, so far.
    public var grantsPassedUnused: UInt64 { ledger.atomicWord(at: GrantLedger.Offset.passedUnused).pointee.load(ordering: .relaxed) }

    /// Numbers claimed or skipped so far: `grantsClaimed − grantsPassedUnused` were used.
    public var grantsClaimed: UInt64 { claimedWord.pointee.load(ordering: .relaxed) }

    /// Instants granted to this host, so far (since the segment was made).
    public var grantsPublished: UInt64 { publishedWord.pointee.load(ordering: .relaxed) }

    /// Attempts of live worker processes waiting for a granted instant now.
    public var attemptsWaitingForGrants: Int {
        (0..<GrantLedger.waiterCapacity).reduce(0) { total, index in
            let waiting = waiterWord(index, 1).pointee.load(ordering: .acquiring)
            guard waiting > 0, waiting < 1 << 32 else { return total }
            let owner = waiterWord(index, 0).pointee.load(ordering: .acquiring)
            guard owner != 0, ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: owner)) else { return total }
            return total + Int(waiting)
        }
    }

    // MARK: The workers' side

    /// Takes an entry for this process's count of waiting attempts: a free
    /// one, its own, or a dead process's. Nil when 256 live processes hold one.
    public func claimGrantWaiterEntry() -> GrantWaiterEntry? {
        let me = UInt64(UInt32(bitPattern: coordinator.pid))
        for index in 0..<GrantLedger.waiterCapacity {
            let owner = waiterWord(index, 0).pointee.load(ordering: .acquiring)
            let free = owner == 0 || owner == me || !ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: owner))
            guard free, waiterWord(index, 0).pointee.compareExchange(expected: owner, desired: me, ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            waiterWord(index, 1).pointee.store(0, ordering: .releasing)
            return GrantWaiterEntry(index: index)
        }
        return nil
    }

    /// Counts one more (or one fewer) of this process's attempts waiting for
    /// a granted instant. Requires: this process owns `entry`.
    public func changeWaiting(_ entry: GrantWaiterEntry, by delta: Int) {
        if delta >= 0 {
            waiterWord(entry.index, 1).pointee.wrappingAdd(UInt64(delta), ordering: .releasing)
        } else {
            waiterWord(entry.index, 1).pointee.wrappingSubtract(UInt64(-delta), ordering: .releasing)
        }
    }

    /// Whether an instant is granted and not yet claimed (past or not): a
    /// waiting attempt's cue to try a claim.
    public var hasUnclaimedGrants: Bool {
        claimedWord.pointee.load(ordering: .acquiring) < publishedWord.pointee.load(ordering: .acquiring)
    }

    /// Claims the next granted instant a caller at now may start at, not
    /// before `notBefore`, waiting at most `maxWait`: skips the instants
    /// already past; `.awaitingGrant` when none is granted. Returns the
    /// number claimed, to give it back.
    func claimGrant(maxWait: UInt64, notBefore: UInt64, edgeGuard: UInt64 = 0) -> (Reservation, UInt64?) {
        var torn = 0
        while true {
            let now = coordinator.clock.now()
            let next = claimedWord.pointee.load(ordering: .acquiring)
            guard next < publishedWord.pointee.load(ordering: .acquiring) else { return (.awaitingGrant, nil) }
            guard let block = findBlock(containing: next) else {
                // The entry was being rewritten: only a block long past can be.
                torn += 1
                if torn > 3 { return (.awaitingGrant, nil) }
                continue
            }
            switch GrantLedger.step(next: next, of: block, now: now, notBefore: notBefore,
                                    slack: GrantLedger.slack(interval: block.interval, edgeGuard: edgeGuard), maxWait: maxWait) {
            case .take(let startAt):
                if claimedWord.pointee.compareExchange(expected: next, desired: next &+ 1, ordering: .acquiringAndReleasing).exchanged {
                    counters.recordGrant(wait: startAt.subtractingSaturated(now))
                    return (.granted(startAt: startAt), next)
                }
            case .skip(let target):
                if claimedWord.pointee.compareExchange(expected: next, desired: target, ordering: .acquiringAndReleasing).exchanged {
                    ledger.atomicWord(at: GrantLedger.Offset.passedUnused).pointee.wrappingAdd(target - next, ordering: .relaxed)
                }
            case .tooFar(let retryAfter):
                counters.add(.denials)
                return (.denied(retryAfter: retryAfter), nil)
            }
        }
    }

    /// The cell a claim gives back through (`Commits.rollBack`): the claimed
    /// number returns only if no one claimed after it.
    func grantTarget() -> CellTarget { CellTarget(storage: .word(claimedWord), limit: .unlimited, cost: 1) }

    private func findBlock(containing number: UInt64) -> GrantLedger.Block? {
        let blocks = blocksWord.pointee.load(ordering: .acquiring)
        for back in 0..<min(blocks, UInt64(GrantLedger.ringCapacity)) {
            guard let block = readBlock(Int((blocks - 1 - back) % UInt64(GrantLedger.ringCapacity))) else { continue }
            if block.contains(number) { return block }
            if block.endNumber <= number { return nil }
        }
        return nil
    }

    /// The block in ring entry `entry`, or nil while it is empty or being rewritten.
    private func readBlock(_ entry: Int) -> GrantLedger.Block? {
        let before = ringWord(entry, 0).pointee.load(ordering: .acquiring)
        let block = GrantLedger.Block(firstNumber: before &- 1, firstInstant: ringWord(entry, 1).pointee.load(ordering: .relaxed),
                                      count: ringWord(entry, 2).pointee.load(ordering: .relaxed),
                                      interval: ringWord(entry, 3).pointee.load(ordering: .relaxed))
        atomicMemoryFence(ordering: .acquiring)
        guard before != 0, ringWord(entry, 0).pointee.load(ordering: .relaxed) == before else { return nil }
        return block
    }
}
