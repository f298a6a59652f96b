import Glibc
import SluicePOSIX
import Synchronization

/// A queue's per-key GCRA cells: a fixed open-addressing table of
/// (key hash, TAT) pairs, each updated by one 128-bit compare-and-swap.
///
/// A key may live at any of the `keyProbeWindow` positions from its home
/// position. A position is *claimable* when empty or when its TAT is in the
/// past: a bucket that has fully refilled remembers nothing worth keeping, so
/// reusing it loses no history.
///
/// The invariant that makes it safe: **a key has at most one usable entry**
/// (two would each grant the key's full rate). New entries are made in three
/// steps: claim a position as *pending* (TAT = PENDING | pid), scan the whole
/// window for another entry of the same key, then either finalise (TAT = 0, a
/// full bucket) or, if one exists, give the position back and use that one.
/// Claims and scans are sequentially consistent, so of two processes claiming
/// the same new key at once, at least one sees the other (Dekker's argument)
/// and backs off. Pending entries are never charged, and a charge is a CAS
/// that expects our key's hash, so it fails on an entry reused by another key.
struct KeyedCells {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    let pid: pid_t

    static let pendingFlag: UInt64 = 1 << 63

    @inline(__always)
    static func isPending(_ tat: UInt64) -> Bool { tat & pendingFlag != 0 }

    /// A stable 64-bit hash of `key` (FNV-1a with a SplitMix64 finaliser), the
    /// same in every process; Swift's `Hasher` is seeded per process. Never 0,
    /// which marks an empty entry.
    static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash == 0 ? 1 : hash
    }

    func entry(_ position: Int) -> UnsafeMutablePointer<Atomic<WordPair>> {
        base.atomicPair(at: position * 16)
    }

    private func window(_ hash: UInt64) -> [Int] {
        let home = Int(truncatingIfNeeded: hash) & (capacity - 1)
        return (0..<SegmentLayout.keyProbeWindow).map { (home + $0) & (capacity - 1) }
    }

    /// The entry of the key with `hash`, making one if needed; nil if every
    /// position of its window holds another live key.
    func resolve(hash: UInt64, now: UInt64) -> UnsafeMutablePointer<Atomic<WordPair>>? {
        let positions = window(hash)
        var backoff = 0
        while true {
            var claimable: (position: Int, value: WordPair)?
            var pendingOwner: UInt64?
            for position in positions {
                let value = entry(position).pointee.load(ordering: .sequentiallyConsistent)
                let (owner, tat) = (UInt64(value.first), UInt64(value.second))
                if owner == hash {
                    if !Self.isPending(tat) { return entry(position) }
                    pendingOwner = tat & ~Self.pendingFlag
                    break
                }
                if claimable == nil, isClaimable(owner: owner, tat: tat, now: now) { claimable = (position, value) }
            }
            if let pendingOwner {
                // Another process is making this key's entry; wait for it to finish.
                waitForClaim(by: pid_t(truncatingIfNeeded: pendingOwner), hash: hash, in: positions)
                continue
            }
            guard let claimable else { return nil }
            switch claim(claimable.position, from: claimable.value, hash: hash, window: positions) {
            case .claimed: return entry(claimable.position)
            case .lostRace: continue
            case .conflict:
                backoff += 1
                for _ in 0..<(Int(UInt32(bitPattern: pid)) % 7 + backoff) { sched_yield() }
            }
        }
    }

    private enum ClaimResult { case claimed, lostRace, conflict }

    private func claim(_ position: Int, from old: WordPair, hash: UInt64, window: [Int]) -> ClaimResult {
        let pending = WordPair(first: UInt(hash), second: UInt(Self.pendingFlag | UInt64(UInt32(bitPattern: pid))))
        guard entry(position).pointee.compareExchange(expected: old, desired: pending, ordering: .sequentiallyConsistent).exchanged else {
            return .lostRace
        }
        let duplicate = window.contains { other in
            other != position && UInt64(entry(other).pointee.load(ordering: .sequentiallyConsistent).first) == hash
        }
        // Only we change an entry pending under our pid, so these cannot fail.
        let final = duplicate ? WordPair(first: 0, second: 0) : WordPair(first: UInt(hash), second: 0)
        _ = entry(position).pointee.compareExchange(expected: pending, desired: final, ordering: .sequentiallyConsistent)
        return duplicate ? .conflict : .claimed
    }

    private func isClaimable(owner: UInt64, tat: UInt64, now: UInt64) -> Bool {
        if owner == 0 { return true }
        if Self.isPending(tat) { return !ProcessLiveness.isAlive(pid_t(truncatingIfNeeded: tat & ~Self.pendingFlag)) }
        return tat <= now
    }

    /// Spins politely while `claimer` finishes its claim (three atomic steps);
    /// clears the claim if the claimer died in the middle.
    private func waitForClaim(by claimer: pid_t, hash: UInt64, in positions: [Int]) {
        for spin in 0..<10_000 {
            sched_yield()
            if spin % 100 == 99, !ProcessLiveness.isAlive(claimer) {
                clearPending(ownedBy: claimer)
                return
            }
            let stillPending = positions.contains { position in
                let value = entry(position).pointee.load(ordering: .acquiring)
                return UInt64(value.first) == hash && Self.isPending(UInt64(value.second))
            }
            if !stillPending { return }
        }
    }

    /// Empties every entry left pending by `pid`. Returns how many.
    @discardableResult
    func clearPending(ownedBy pid: pid_t) -> Int {
        let marker = UInt(Self.pendingFlag | UInt64(UInt32(bitPattern: pid)))
        var cleared = 0
        for position in 0..<capacity {
            let value = entry(position).pointee.load(ordering: .relaxed)
            guard value.second == marker else { continue }
            if entry(position).pointee.compareExchange(expected: value, desired: WordPair(first: 0, second: 0),
                                                       ordering: .acquiringAndReleasing).exchanged { cleared += 1 }
        }
        return cleared
    }

    /// Empties every pending entry whose claimer no longer exists. Returns
    /// 0: callers count slots, and a pending entry is not capacity.
    func clearPendingOfDeadClaimers() -> Int {
        var claimers = Set<pid_t>()
        for position in 0..<capacity {
            let tat = UInt64(entry(position).pointee.load(ordering: .relaxed).second)
            if Self.isPending(tat) { claimers.insert(pid_t(truncatingIfNeeded: tat & ~Self.pendingFlag)) }
        }
        for claimer in claimers where !ProcessLiveness.isAlive(claimer) { clearPending(ownedBy: claimer) }
        return 0
    }

    /// Entries holding a key whose TAT is still ahead of `now`.
    func liveCount(now: UInt64) -> Int {
        (0..<capacity).reduce(0) { count, position in
            let value = entry(position).pointee.load(ordering: .relaxed)
            return count + (value.first != 0 && UInt64(value.second) > now ? 1 : 0)
        }
    }
}

extension QueueHandle {
    var keyedCells: KeyedCells {
        KeyedCells(base: block + coordinator.layout.keyedCellsOffset, capacity: coordinator.layout.keyedCapacity, pid: coordinator.pid)
    }

    /// Keys whose per-key bucket is not yet full again (for `describe`).
    public var liveKeyCount: Int { keyedCells.liveCount(now: coordinator.clock.now()) }
}
