import Glibc
import SluiceConfig
import SluiceLimiter
import SluicePOSIX
import SluiceProviders
import SluiceSpool

extension Worker {
    /// One attempt of one leased task, from request to settlement.
    func attempt(_ lease: Lease, id: UInt64) async {
        let record = lease.task
        let log = parts.log.with([("task", record.id.rawValue), ("attempt", "\(record.attempt)")])
        let admitted: TaskAdmission.Admitted
        do {
            // The door's own judgement (TaskAdmission), limited to what makes a
            // task unsendable: a task already queued is never judged by newer rules.
            admitted = try providerGuard.run(for: lease) { () throws(TaskRejected) in
                let task = ProviderTask(id: record.id.rawValue, kind: record.kind, payload: record.payload)
                return try TaskAdmission.check(task, cost: record.cost, key: record.key, rules: admissionRules, at: .worker,
                                               provider: parts.provider, credential: parts.credential)
            }
        } catch {
            settle(lease, .deadLetter(reason: error.reason), log: log, event: "task.dead")
            return
        }
        let (request, cost, limitKey) = (admitted.request, admitted.cost, admitted.key)
        while true {
            let admittedBooking: Booking
            switch await admit(cost: cost, key: limitKey) {
            case .admitted(let granted):
                admittedBooking = granted
            case .cancelled:
                settle(lease, .release, log: log, event: "task.released")
                return
            case .impossible(let reason):
                settle(lease, .deadLetter(reason: reason), log: log, event: "task.dead")
                return
            case .deferred(let delay):
                settle(lease, .reschedule(dueAt: parts.wallClock.now() &+ delay), log: log, event: "task.deferred")
                return
            }
            guard attempts.markSending(id) else {
                admittedBooking.giveBack(slotTo: parts.limiter)
                settle(lease, .release, log: log, event: "task.released")
                return
            }
            let dueAt = lease.dueAt
            let statistics = parts.limiter.taskStatistics
            let wallClock = parts.wallClock
            let held = HeldBooking(admittedBooking)
            let sending = await parts.executor.send(request, at: admittedBooking.startAt, notAfter: admittedBooking.startAt &+ admittedBooking.tolerance,
                                                    stillWanted: stillWanted(admittedBooking.rateBooked),
                                                    rebook: rebookAtGate(held, cost: cost, key: limitKey)) { wentAt in
                // On the pool's thread, the moment the head is written.
                let wallNow = wallClock.now()
                let startAt = held.current.startAt
                statistics.requestStarted(scheduleToStart: wallNow > dueAt ? wallNow - dueAt : 0)
                statistics.started(lateness: wentAt > startAt ? wentAt - startAt : 0, rebooked: false)
            }
            // The booking its gate ended with (a late request books again there).
            let booking = held.current
            let startAt = booking.startAt
            switch sending {
            case .tooLate(let at):
                // Not sent: going now could reach the provider inside the
                // window of a request booked a window before ours. The
                // instant is given back (if still ours) and a new one booked.
                booking.giveBack(slotTo: parts.limiter)
                statistics.started(lateness: at > startAt ? at - startAt : 0, rebooked: true)
                log.debug("task.late_rebooked", ("late_ns", "\(at > startAt ? at - startAt : 0)"), ("guard_ns", "\(booking.tolerance)"))
                guard attempts.markWaiting(id) else {
                    settle(lease, .release, log: log, event: "task.released")
                    return
                }
                continue
            case .withdrawn:
                // Paused, held by a 429 or given a new rate while it waited at
                // its gate: booked again under what is now in force.
                booking.giveBack(slotTo: parts.limiter)
                guard attempts.markWaiting(id) else {
                    settle(lease, .release, log: log, event: "task.released")
                    return
                }
                continue
            case .sent(let result, let wentAt):
                parts.limiter.release(booking.slot)
                if Task.isCancelled, case .transportFailure = result {
                    // Cut off by the shutdown deadline: not the task's failure. (An
                    // answer that did come back is settled as usual: releasing it
                    // would send the task again.)
                    settle(lease, .release, log: log, event: "task.released")
                    return
                }
                let sentAt = wentAt ?? startAt
                let now = MonotonicClock.now()
                conclude(lease, result: result, cost: cost, elapsed: now > sentAt ? now - sentAt : 0, log: log)
                return
            }
        }
    }

    /// Whether an attempt may start.
    enum Admission {
        /// At its reserved instant, holding a fleet-wide slot.
        case admitted(Booking)
        /// Shutdown, or the queue was paused: the attempt must not start;
        /// nothing is held, and the task goes back to the spool as it was.
        case cancelled
        /// It can never start as it is.
        case impossible(String)
        /// Its key's limit will not allow it for `delay` ns: give it back to
        /// the spool for then, so it does not hold the queue's schedule.
        case deferred(UInt64)
    }

    /// A start instant reached, with what was charged for it.
    struct Booking {
        let slot: ConcurrencySlot
        /// The granted instant (monotonic ns).
        let startAt: UInt64
        /// How late after `startAt` the request may still go on the wire:
        /// the queue's edge guard when learnt, else `lateStartTolerance`.
        let tolerance: UInt64
        /// The rate in force when the instant was booked.
        let rateBooked: GCRA.Limit
        let ticket: ReservationTicket
        let localTicket: LocalTicket?

        /// The same slot, the capacity already given back.
        var withoutTickets: Booking {
            Booking(slot: slot, startAt: startAt, tolerance: tolerance, rateBooked: rateBooked, ticket: .none, localTicket: nil)
        }

        /// The instant was not used: the slot is freed, and the capacity
        /// given back where nothing was booked after it.
        func giveBack(slotTo limiter: QueueHandle) {
            limiter.release(slot)
            ticket.giveBack()
            localTicket?.giveBack()
        }
    }

    /// Whether a booking handed to the executor is still to be used at its
    /// gate: what `mustBookAgain` asks at the hand-over, asked again at the
    /// instant (a shutdown, a pause, a 429's hold or a set-rate may come in
    /// between). Shutdown first: a request still at its gate has not started,
    /// and shutdown lets only started requests finish.
    private func stillWanted(_ rateBooked: GCRA.Limit) -> @Sendable () -> Bool {
        let limiter = parts.limiter
        let attempts = self.attempts
        return {
            guard !attempts.refusesToSend else { return false }
            let limits = limiter.limits
            return !limits.paused && limiter.pushedBackUntil <= MonotonicClock.now() && !Self.rateMoved(from: rateBooked, to: limits.rate)
        }
    }

    /// How a request found too late at its gate, its connection ready, books
    /// a new instant there instead of being aborted: the late instant is
    /// given back first (restored where nothing was booked after it), the
    /// concurrency slot kept. It may book up to `maximumHorizon` ahead, not
    /// only its own horizon: the other attempts have booked the schedule up
    /// to theirs while its connection opened, and a request refused here is
    /// aborted, its connection closed, and the next one pays the setup
    /// again (a queue behind a 400 ms handshake sent nothing). Nil when the
    /// queue allows nothing within that: the attempt books again as usual.
    private func rebookAtGate(_ held: HeldBooking, cost: UInt64, key: String?) -> HTTPExecutor.Rebooking {
        let within = Self.maximumHorizon
        let statistics = parts.limiter.taskStatistics
        return HTTPExecutor.Rebooking(within: within) { [self] lateAt in
            held.replace { old in
                old.ticket.giveBack()
                old.localTicket?.giveBack()
                let rateBooked = parts.limiter.limits.rate
                let (reservation, ticket, localTicket) = reserve(cost: cost, key: key, maxWait: within)
                guard case .granted(let startAt) = reservation else {
                    // Nothing held now but the slot: the abort gives that back,
                    // and the `.tooLate` path records the late instant (once).
                    return (old.withoutTickets, nil)
                }
                statistics.started(lateness: lateAt > old.startAt ? lateAt - old.startAt : 0, rebooked: true)
                let booking = Booking(slot: old.slot, startAt: startAt, tolerance: old.tolerance, rateBooked: rateBooked,
                                      ticket: ticket, localTicket: localTicket)
                return (booking, (gate: startAt, notAfter: startAt &+ old.tolerance))
            }
        }
    }

    /// Waits until just before the reserved instant (`HTTPExecutor`'s hand-over
    /// lead; the executor waits out the rest at the gate) and for a
    /// concurrency slot.
    ///
    /// An attempt books the shared schedule at most `bookingHorizon` ahead;
    /// further out it waits without a booking and asks again, so a rate
    /// change, a pause, a scale-down or a killed worker strands at most that
    /// much of the schedule. A booking made at a rate no longer in force is
    /// given back and made again: a rate change applies to what has not started.
    func admit(cost: UInt64, key: String?) async -> Admission {
        while !Task.isCancelled {
            let limitsBooked = parts.limiter.limits
            let rateBooked = limitsBooked.rate
            let tolerance = limitsBooked.edgeGuard > 0 ? Self.lateness(allowedBy: limitsBooked.edgeGuard) : Self.lateStartTolerance
            let overrunsBooked = parts.limiter.weightedOverruns
            let (reservation, ticket, localTicket) = reserve(cost: cost, key: key, maxWait: bookingHorizon(key: key))
            switch reservation {
            case .granted(let startAt):
                let wakeAt = startAt > HTTPExecutor.handOverLead ? startAt - HTTPExecutor.handOverLead : 0
                var slept = await sleep(until: wakeAt)
                // Woken early by a rate change that leaves this booking standing: sleep on.
                while slept, MonotonicClock.now() < wakeAt,
                      !mustBookAgain(startAt: startAt, tolerance: tolerance, rateBooked: rateBooked, overrunsBooked: overrunsBooked) {
                    slept = await sleep(until: wakeAt)
                }
                if !slept || parts.limiter.limits.paused {
                    // Shutdown, or paused while we slept: nothing new starts; hand the task back.
                    ticket.giveBack()
                    localTicket?.giveBack()
                    return .cancelled
                }
                if mustBookAgain(startAt: startAt, tolerance: tolerance, rateBooked: rateBooked, overrunsBooked: overrunsBooked) {
                    ticket.giveBack()
                    localTicket?.giveBack()
                    continue
                }
                if let slot = parts.limiter.takeSlot() {
                    return .admitted(Booking(slot: slot, startAt: startAt, tolerance: tolerance, rateBooked: rateBooked,
                                             ticket: ticket, localTicket: localTicket))
                }
                // No slot at our instant: give the instant back rather than start late.
                ticket.giveBack()
                localTicket?.giveBack()
                await waitForFreeSlot()
            case .costExceedsBurst:
                return .impossible("cost \(cost) is larger than a weighted limit's burst: it can never be sent")
            case .paused:
                // Hand the task back: a paused queue holds no task in a worker.
                return .cancelled
            case .keyBusy(let retryAfter):
                // Its key, not the queue, is what blocks: back to the spool until
                // the key allows, holding no place in the queue's line; the key's
                // other tasks deferred here come back one key interval apart.
                guard let key else { return .deferred(retryAfter) }
                let interval = parts.limiter.limits.perKey?.interval ?? 0
                return .deferred(keyDeferrals.delay(key: key, earliest: retryAfter, interval: interval, now: parts.wallClock.now()))
            case .keyTableFull:
                // Counted in /metrics every time; logged at most every 10 s.
                if tableFullWarnings.due(now: MonotonicClock.now()) {
                    parts.log.warn("queue.key_table_full", ("effect", "tasks whose key finds no room go back to the spool for about a second"),
                                   ("fix", "more keys are live than the keyed table holds; see sluice_limiter_key_table_full_total"))
                }
                // Spread over 0.5–1.5 s, so the deferred tasks do not all come back together.
                return .deferred(Self.keyTableFullDelay / 2 + UInt64.random(in: 0...Self.keyTableFullDelay))
            case .awaitingGrant:
                // Several hosts: nothing granted to this host is left. Counted
                // as waiting, so the host's agent reserves an instant for it.
                guard await waitForGrant() else { return .cancelled }
            case .denied(let retryAfter):
                // The queue is busy beyond the horizon: wait, unbooked, until it is not.
                guard await sleep(until: MonotonicClock.now() &+ min(retryAfter, bookingHorizon(key: key))) else { return .cancelled }
            }
        }
        return .cancelled
    }

    /// Whether a booking, woken at its instant, must be given back and made
    /// again instead of used.
    private func mustBookAgain(startAt: UInt64, tolerance: UInt64, rateBooked: GCRA.Limit, overrunsBooked: UInt64) -> Bool {
        let now = MonotonicClock.now()
        // A reservation is a promise to start at its instant. Woken later
        // than the queue's edge guard (the process was frozen or starved),
        // starting now could stack with starts booked after ours.
        if now > startAt &+ tolerance {
            parts.limiter.taskStatistics.started(lateness: now - startAt, rebooked: true)
            return true
        }
        // A 429 elsewhere since our reservation holds the whole queue: the
        // next reservation honours the push-back.
        if parts.limiter.pushedBackUntil > now { return true }
        // The rate changed while we waited: book at the rate in force.
        if Self.rateMoved(from: rateBooked, to: parts.limiter.limits.rate) { return true }
        // A request's real cost (tokens) came back above its estimate while we
        // waited: our instant was computed without it. Book again behind it,
        // so the weighted window holds even when estimates fall short.
        // Only a booking the cell no longer allows books again: one that does
        // not conform keeps the promise only by starting later. (Booking again
        // on every overrun wasted nearly every booking ahead.)
        return !queue.weighted.isEmpty && parts.limiter.weightedOverruns != overrunsBooked
            && !parts.limiter.weightedCellsAllow(startAt: startAt)
    }

    /// Sleeps until the monotonic instant `instant`; false if cancelled.
    /// Sleeps until the monotonic `instant`, or less: it looks at the rate
    /// every `rateWatch` ns and returns early when it changed (a set-rate: a
    /// booking made at a slow rate must not hold a queue restored to a fast
    /// one until its own instant). False if cancelled. The caller checks
    /// whether the instant has come.
    private func sleep(until instant: UInt64) async -> Bool {
        let rate = parts.limiter.limits.rate
        while true {
            let now = MonotonicClock.now()
            guard instant > now else { return !Task.isCancelled }
            guard await sleep(for: min(instant - now, Self.rateWatch)) else { return false }
            if Self.rateMoved(from: rate, to: parts.limiter.limits.rate) { return !Task.isCancelled }
        }
    }

    /// How late a request may go on the wire under an edge guard: all of
    /// it. What follows our stamp (the write, the network, the provider's
    /// own stamp) has a guard of its own, the path guard (`RateLearner`);
    /// the learner's cost model counts as dropped exactly the requests later
    /// than `g`, so the rule must be the same. (It was ¾·g, when no path
    /// guard existed: the learner then undercounted the drops.)
    static func lateness(allowedBy edgeGuard: UInt64) -> UInt64 { edgeGuard }

    /// Whether the rate in force moved enough that bookings made at `booked`
    /// must be made again: an operator's set-rate, a 429's decrease. The
    /// learner's small steps (a guard re-measured, a few percent recovered)
    /// do not wake every sleeping booking: within `rateMoveThreshold`, a
    /// booking is at most that much denser or sparser than the rate in force,
    /// for at most one booking horizon.
    static func rateMoved(from booked: GCRA.Limit, to current: GCRA.Limit) -> Bool {
        guard booked != current else { return false }
        if booked.capacity != current.capacity || booked.interval == 0 || current.interval == 0 { return true }
        let ratio = Double(current.interval) / Double(booked.interval)
        return abs(ratio - 1) > rateMoveThreshold
    }

    private func sleep(for nanoseconds: UInt64) async -> Bool {
        do {
            try await Task.sleep(nanoseconds: nanoseconds)
            return true
        } catch {
            return false
        }
    }

    /// How far ahead an attempt may book the shared schedule: as far as this
    /// worker's in-flight attempts could use at the rate in force, between
    /// `minimumHorizon` and `maximumHorizon`.
    ///
    /// A keyed request books a shorter horizon still: booking the instant its
    /// busy key allows would book the queue-wide cell then too, and every
    /// request for a free key behind it would wait (head-of-line blocking; the
    /// bench measured Twilio draining at 1.33× its theoretical time). A key
    /// busy beyond it is deferred to the spool instead (`keyBusy`).
    func bookingHorizon(key: String?) -> UInt64 {
        let interval = parts.limiter.limits.rate.interval
        if key != nil, queue.perKey != nil {
            let (twice, overflow) = interval.multipliedReportingOverflow(by: 2)
            return min(max(overflow ? .max : twice, Self.minimumKeyedHorizon), Self.maximumHorizon)
        }
        let (span, overflow) = interval.multipliedReportingOverflow(by: UInt64(queue.maxConcurrentPerWorker))
        return min(max(overflow ? .max : span, Self.minimumHorizon), Self.maximumHorizon)
    }

    /// Books the earliest instant the queue's cells (and this worker's own
    /// limit) allow, at most `maxWait` from now.
    private func reserve(cost: UInt64, key: String?, maxWait: UInt64) -> (Reservation, ReservationTicket, LocalTicket?) {
        let now = MonotonicClock.now()
        guard let localLimiter else {
            let (reservation, ticket) = parts.limiter.reserveTicket(cost: cost, key: key, maxWait: maxWait)
            return (reservation, ticket, nil)
        }
        return localLimiter.reserve(now: now) { earliest in
            parts.limiter.reserveTicket(cost: cost, key: key, maxWait: maxWait, notBefore: earliest)
        }
    }

    /// Waits, counted as waiting, until an instant is granted to this host;
    /// false if cancelled.
    private func waitForGrant() async -> Bool {
        if let entry = grantWaiterEntry { parts.limiter.changeWaiting(entry, by: 1) }
        await grantWaiters.wait { [parts] in parts.limiter.hasUnclaimedGrants || parts.limiter.limits.paused }
        if let entry = grantWaiterEntry { parts.limiter.changeWaiting(entry, by: -1) }
        return !Task.isCancelled
    }

    /// Waits until a fleet-wide slot may be free (see `SlotWaiters`).
    private func waitForFreeSlot() async {
        let limit = parts.limiter.limits.maxConcurrent
        guard limit > 0 else { return }
        await slotWaiters.wait { [parts] in parts.limiter.slotsInUse < parts.limiter.limits.maxConcurrent }
    }


}
