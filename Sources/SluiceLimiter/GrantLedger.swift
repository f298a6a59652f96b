/// The start instants a host was granted from the fleet's one schedule
/// (several hosts sharing a Redis; see SluiceCluster): blocks of evenly
/// spaced instants on this host's monotonic clock, numbered one after the
/// other, and the number of the next instant to hand out.
///
/// A queue whose ledger is *coordinated* takes its queue-wide rate from here
/// instead of its main GCRA cell: a worker claims the next instant by one
/// compare-and-swap, and an instant already past (by more than a little
/// slack) is skipped, never used late: it passes unused. Under-use, never
/// over-admission.
///
/// This file is the arithmetic, a pure function of integers;
/// `QueueHandle+GrantLedger.swift` is the shared-memory side.
public enum GrantLedger {
    /// One block of instants: `count` instants, numbered from `firstNumber`,
    /// the first at `firstInstant` (CLOCK_MONOTONIC ns), `interval` apart.
    public struct Block: Equatable, Sendable {
        public var firstNumber: UInt64
        public var firstInstant: UInt64
        public var count: UInt64
        public var interval: UInt64

        public init(firstNumber: UInt64, firstInstant: UInt64, count: UInt64, interval: UInt64) {
            self.firstNumber = firstNumber
            self.firstInstant = firstInstant
            self.count = count
            self.interval = interval
        }

        /// The number after the block's last.
        public var endNumber: UInt64 { firstNumber &+ count }

        public func contains(_ number: UInt64) -> Bool { number >= firstNumber && number < endNumber }

        /// The instant of `number`. Requires: `contains(number)`.
        public func instant(_ number: UInt64) -> UInt64 { firstInstant &+ (number - firstNumber) &* interval }

        /// The instant just after the block: its last instant plus one interval.
        public var endInstant: UInt64 { firstInstant &+ count &* interval }
    }

    /// What a worker does with the instant numbered `next`.
    public enum Step: Equatable, Sendable {
        /// Claim it (CAS `next` → `next + 1`) and start at `startAt`: its
        /// instant, which may be up to the slack past (start at once: late,
        /// like a late wake-up; the schedule granted stays as Redis made it).
        case take(startAt: UInt64)
        /// It (and maybe more after it) is past: move `next` to `to`
        /// (CAS), so those instants pass unused, and look again.
        case skip(to: UInt64)
        /// It is further away than the caller may wait: ask again after `retryAfter` ns.
        case tooFar(retryAfter: UInt64)
    }

    /// Decides about the instant numbered `next` of `block` for a caller at
    /// `now` that may start no earlier than `notBefore` (a push-back) and
    /// wait at most `maxWait`. An instant up to `slack` ns past may still be
    /// taken (its start is its instant, so the caller starts at once:
    /// lateness like a late wake-up); one further past is skipped, with every
    /// instant of the block that is past too.
    ///
    /// Requires: `block.contains(next)`.
    public static func step(next: UInt64, of block: Block, now: UInt64, notBefore: UInt64, slack: UInt64, maxWait: UInt64) -> Step {
        let instant = block.instant(next)
        let earliest = max(now > slack ? now - slack : 0, notBefore)
        if instant < earliest {
            // The first instant of the block at or after `earliest`, or the block's end.
            let behind = earliest - block.firstInstant
            let index = block.interval == 0 ? block.count : (behind + block.interval - 1) / block.interval
            return .skip(to: block.firstNumber &+ min(index, block.count))
        }
        if instant > now, instant - now > maxWait { return .tooFar(retryAfter: instant - now - maxWait) }
        return .take(startAt: instant)
    }

    /// How far past its instant a claim may still start: half an interval,
    /// at least 1 ms (a worker's wake-up), at most 5 ms. In any window, late
    /// starts add at most `slack / interval` + 1 requests to what the granted
    /// instants hold, and the provider sees lateness like this anyway.
    public static func slack(interval: UInt64) -> UInt64 { min(max(interval / 2, 1_000_000), 5_000_000) }

    /// The slack, never more than the worker would start a booking late:
    /// three quarters of the queue's edge guard, when it has one (a claim
    /// later than that would only be given back and claimed again).
    public static func slack(interval: UInt64, edgeGuard: UInt64) -> UInt64 {
        edgeGuard > 0 ? min(slack(interval: interval), edgeGuard - edgeGuard / 4) : slack(interval: interval)
    }

    // MARK: In the segment

    /// Blocks the ring holds; a block is overwritten only once every instant
    /// of it is claimed or past.
    public static let ringCapacity = 32
    /// Worker processes whose waiting attempts are counted (as tasks in hand).
    static let waiterCapacity = 256

    enum Offset {
        static let claimed = 0                    // Atomic<UInt64>: the next number to hand out (workers)
        static let published = SegmentLayout.line // Atomic<UInt64>: numbers below it are granted (the agent)
        static let mode = published + 8           // Atomic<UInt64>: 0 this host's own cell, 1 coordinated
        static let passedUnused = published + 16  // Atomic<UInt64>: instants skipped, so far
        static let blocks = published + 24        // Atomic<UInt64>: blocks published, so far
        static let ring = 2 * SegmentLayout.line  // ringCapacity × 4 words: number + 1 (0: being written), instant, count, interval
        static let waiters = ring + GrantLedger.ringCapacity * 32 // waiterCapacity × 2 words: owner pid, attempts waiting
    }

    /// Bytes of one queue's ledger.
    static let size = Offset.waiters + waiterCapacity * 16
}
