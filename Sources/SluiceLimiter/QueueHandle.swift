import Glibc
import SluicePOSIX
import Synchronization
import SluiceCore

/// One registered queue in an attached segment: where its cells, limits,
/// slots and counters live. Cheap to copy; valid while its coordinator lives.
public struct QueueHandle: Sendable, Equatable {
    public let name: QueueName
    let coordinator: Coordinator
    let index: Int

    init(coordinator: Coordinator, name: QueueName, index: Int) {
        self.coordinator = coordinator
        self.name = name
        self.index = index
    }

    public static func == (lhs: QueueHandle, rhs: QueueHandle) -> Bool {
        lhs.coordinator === rhs.coordinator && lhs.index == rhs.index
    }

    var block: UnsafeMutableRawPointer { coordinator.base + coordinator.layout.blockOffset(index) }
    var mainCell: UnsafeMutablePointer<Atomic<UInt64>> { block.atomicWord(at: SegmentLayout.Block.mainCell) }

    func weightedCell(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        block.atomicWord(at: SegmentLayout.Block.weightedCells + index * SegmentLayout.line)
    }

    // MARK: Limits

    /// The limits every process applies right now.
    public var limits: QueueLimits { ConfigRecord.read(block: block).limits }

    /// Bumps each time the limits change; lets a test or an operator see a change landed.
    public var limitsGeneration: UInt64 { ConfigRecord.generation(block: block) }

    /// Replaces the limits. After this returns, every process's next
    /// reservation uses them: no restart, no message.
    public func setLimits(_ limits: QueueLimits) throws(CoordinatorError) {
        try limits.validate(for: coordinator.layout)
        try coordinator.adminLock.withLock { () throws(CoordinatorError) in
            ConfigRecord(limits: limits).publish(block: block)
        }
    }

    /// Changes part of the limits atomically with respect to other admin writers.
    /// A new rate keeps the main cell's debt in requests, not in time (see
    /// `GCRA.rescaled`).
    /// `keepingBookings`: the change wakes no booking already made (the rate
    /// learner's small steps), so a faster rate starts after them
    /// (`GCRA.rescaledKeepingBookings`).
    public func updateLimits(keepingBookings: Bool = false, _ change: (inout QueueLimits) -> Void) throws(CoordinatorError) {
        try coordinator.adminLock.withLock { () throws(CoordinatorError) in
            let before = ConfigRecord.read(block: block).limits
            var limits = before
            change(&limits)
            try limits.validate(for: coordinator.layout)
            if limits.rate != before.rate { rescaleMainCell(from: before.rate, to: limits.rate, keepingBookings: keepingBookings) }
            ConfigRecord(limits: limits).publish(block: block)
        }
    }

    /// Moves the main cell's TAT to keep its debt at the new rate. Requires:
    /// the admin lock (a reservation racing this CAS loop simply retries).
    func rescaleMainCell(from old: GCRA.Limit, to new: GCRA.Limit, keepingBookings: Bool = false) {
        var tat = mainCell.pointee.load(ordering: .relaxed)
        while true {
            let now = coordinator.clock.now()
            let target = keepingBookings ? GCRA.rescaledKeepingBookings(tat: tat, now: now, from: old, to: new)
                : GCRA.rescaled(tat: tat, now: now, from: old, to: new)
            let (exchanged, actual) = mainCell.pointee.compareExchange(expected: tat, desired: target, ordering: .acquiringAndReleasing)
            if exchanged { return }
            tat = actual
        }
    }

    /// Pauses (nothing is granted) or resumes the queue, fleet-wide.
    public func setPaused(_ paused: Bool) throws(CoordinatorError) {
        try updateLimits { $0.paused = paused }
    }

    // MARK: Backpressure

    /// Lifts a push-back (an operator's set-rate, resume or reset: a provider
    /// that said "wait a day", or a clock that made it look so, must not hold
    /// the queue until `--reset-shm`). The main cell keeps at most one burst
    /// of debt, so no more than a burst can start at once.
    ///
    /// With no push-back in force (an operator's resume or set-rate on a
    /// queue that was not held), the main cell is left alone: its TAT is the
    /// starts booked ahead, which still stand, and pulling it back put new
    /// bookings between them (twice the rate for the booking horizon; found
    /// attacking issue 12: 21 in the provider's window of 20).
    public func clearPushBack() {
        let held = block.atomicWord(at: SegmentLayout.Block.pushedBackUntil).pointee.exchange(0, ordering: .acquiringAndReleasing)
        guard held > coordinator.clock.now() else { return }
        let rate = ConfigRecord.read(block: block).rate
        var tat = mainCell.pointee.load(ordering: .relaxed)
        while true {
            let ceiling = coordinator.clock.now().addingSaturated(rate.tolerance.addingSaturated(rate.interval))
            guard tat > ceiling else { return }
            let (exchanged, actual) = mainCell.pointee.compareExchange(expected: tat, desired: ceiling, ordering: .acquiringAndReleasing)
            if exchanged { return }
            tat = actual
        }
    }

    /// Moves the queue's start times forward so no request starts before
    /// `until` (monotonic ns), in every process. Used when a 429 gets through
    /// anyway: the whole fleet pauses, not just the process that was told.
    /// Never moves anything backwards.
    ///
    /// Every reservation made after this returns starts at `until` or later,
    /// whatever happens to the TAT (a reservation given back may lower it).
    /// Reservations granted before keep their instants; a caller about to
    /// start must check `pushedBackUntil` and, if it is ahead, reserve again
    /// (the worker does).
    ///
    /// `counting`: false for a hold another host was told of (several
    /// hosts), which this host's push-back counter does not count.
    public func pushBack(until: UInt64, counting: Bool = true) {
        let held = block.atomicWord(at: SegmentLayout.Block.pushedBackUntil)
        var heldUntil = held.pointee.load(ordering: .relaxed)
        while heldUntil < until {
            let (exchanged, actual) = held.pointee.compareExchange(expected: heldUntil, desired: until, ordering: .acquiringAndReleasing)
            if exchanged { break }
            heldUntil = actual
        }
        let tolerance = ConfigRecord.read(block: block).rate.tolerance
        // A unit request may start once max(TAT, now) − tolerance ≤ now,
        // so TAT ≥ until + tolerance holds everything back until `until`.
        let (target, overflow) = until.addingReportingOverflow(tolerance)
        let floor = overflow ? UInt64.max / 2 : target
        var current = mainCell.pointee.load(ordering: .relaxed)
        while current < floor {
            let (exchanged, actual) = mainCell.pointee.compareExchange(expected: current, desired: floor, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = actual
        }
        if counting { counters.add(.pushBacks) }
    }

    /// Charges `extra` more units to every weighted cell, at once: the cost a
    /// request really had beyond the estimate it was admitted with (OpenAI's
    /// `usage.total_tokens`). Later requests wait for it; none is undone.
    /// Requests booked before it and not yet started see `weightedOverruns`
    /// change, and book again behind it (see `Worker.mustBookAgain`).
    ///
    /// `extra` comes from a provider's answer, so it is trusted only so far:
    /// each cell is charged at most its burst (no single request can have used
    /// more), and the arithmetic saturates, so a reported `2⁶³` tokens cannot
    /// wrap the TAT around (over-admitting) nor hold the queue for centuries.
    public func chargeWeighted(extra: UInt64) {
        let config = ConfigRecord.read(block: block)
        for index in 0..<Int(config.weightedCount) {
            let cell = weightedCell(index)
            let limit = config.weighted(index)
            let (increment, overflow) = min(extra, limit.capacity).multipliedReportingOverflow(by: limit.interval)
            var tat = cell.pointee.load(ordering: .relaxed)
            while true {
                let now = coordinator.clock.now()
                let (sum, sumOverflow) = max(tat, now).addingReportingOverflow(increment)
                let target = overflow || sumOverflow ? UInt64.max / 2 : sum
                let (exchanged, actual) = cell.pointee.compareExchange(expected: tat, desired: target, ordering: .acquiringAndReleasing)
                if exchanged { break }
                tat = actual
            }
        }
        block.atomicWord(at: SegmentLayout.Block.weightedOverruns).pointee.wrappingAdd(1, ordering: .releasing)
    }

    /// Whether a request booked to start at `startAt` still conforms to every
    /// weighted cell as it is now: no cell is more than its window (tolerance
    /// plus one interval) ahead of the instant. A usage report above its
    /// estimate moves the cells on; a booking they no longer allow starts later.
    public func weightedCellsAllow(startAt: UInt64) -> Bool {
        let config = ConfigRecord.read(block: block)
        for index in 0..<Int(config.weightedCount) {
            let limit = config.weighted(index)
            let tat = weightedCell(index).pointee.load(ordering: .acquiring)
            if tat > startAt.addingSaturated(limit.tolerance.addingSaturated(limit.interval)) { return false }
        }
        return true
    }

    /// How many usage reports so far exceeded the estimate they were booked
    /// with (each charged by `chargeWeighted`): a booking made before the
    /// latest one was made on too low a count.
    public var weightedOverruns: UInt64 {
        block.atomicWord(at: SegmentLayout.Block.weightedOverruns).pointee.load(ordering: .acquiring)
    }

    /// A spare word on the queue's last weighted cell line, for the bench's
    /// bare-CAS baseline. Never read by the limiter.
    public var baselineWord: UnsafeMutablePointer<Atomic<UInt64>> {
        block.atomicWord(at: SegmentLayout.Block.weightedCells + (SegmentLayout.weightedCapacity - 1) * SegmentLayout.line + 64)
    }

    /// The latest instant (monotonic ns) a push-back holds the queue until;
    /// in the past when the queue is not held.
    public var pushedBackUntil: UInt64 {
        block.atomicWord(at: SegmentLayout.Block.pushedBackUntil).pointee.load(ordering: .acquiring)
    }

    /// The main cell's theoretical arrival time (for tests and `describe`).
    public var theoreticalArrivalTime: UInt64 { mainCell.pointee.load(ordering: .acquiring) }
}
