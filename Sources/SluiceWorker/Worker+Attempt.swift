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
        let slot: ConcurrencySlot
        switch await admit(cost: cost, key: limitKey) {
        case .admitted(let granted):
            slot = granted
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
            parts.limiter.release(slot)
            settle(lease, .release, log: log, event: "task.released")
            return
        }
        let sentAt = MonotonicClock.now()
        let wallNow = parts.wallClock.now()
        parts.limiter.taskStatistics.requestStarted(scheduleToStart: wallNow > lease.dueAt ? wallNow - lease.dueAt : 0)
        let result = await parts.executor.send(request)
        parts.limiter.release(slot)
        if Task.isCancelled, case .transportFailure = result {
            // Cut off by the shutdown deadline: not the task's failure. (An
            // answer that did come back is settled as usual: releasing it
            // would send the task again.)
            settle(lease, .release, log: log, event: "task.released")
            return
        }
        conclude(lease, result: result, cost: cost, elapsed: MonotonicClock.now() - sentAt, log: log)
    }

    /// Whether an attempt may start.
    enum Admission {
        /// At its reserved instant, holding a fleet-wide slot.
        case admitted(ConcurrencySlot)
        /// Shutdown, or the queue was paused: the attempt must not start;
        /// nothing is held, and the task goes back to the spool as it was.
        case cancelled
        /// It can never start as it is.
        case impossible(String)
        /// Its key's limit will not allow it for `delay` ns: give it back to
        /// the spool for then, so it does not hold the queue's schedule.
        case deferred(UInt64)
    }

    /// Waits for the reserved instant and a concurrency slot.
    ///
    /// An attempt books the shared schedule at most `bookingHorizon` ahead;
    /// further out it waits without a booking and asks again, so a rate
    /// change, a pause, a scale-down or a killed worker strands at most that
    /// much of the schedule. A booking made at a rate no longer in force is
    /// given back and made again: a rate change applies to what has not started.
    func admit(cost: UInt64, key: String?) async -> Admission {
        while !Task.isCancelled {
            let rateBooked = parts.limiter.limits.rate
            let overrunsBooked = parts.limiter.weightedOverruns
            let (reservation, ticket, localTicket) = reserve(cost: cost, key: key)
            switch reservation {
            case .granted(let startAt):
                var slept = await sleep(until: startAt)
                // Woken early by a rate change that leaves this booking standing: sleep on.
                while slept, MonotonicClock.now() < startAt,
                      !mustBookAgain(startAt: startAt, rateBooked: rateBooked, overrunsBooked: overrunsBooked) {
                    slept = await sleep(until: startAt)
                }
                if !slept || parts.limiter.limits.paused {
                    // Shutdown, or paused while we slept: nothing new starts; hand the task back.
                    ticket.giveBack()
                    localTicket?.giveBack()
                    return .cancelled
                }
                if mustBookAgain(startAt: startAt, rateBooked: rateBooked, overrunsBooked: overrunsBooked) {
                    ticket.giveBack()
                    localTicket?.giveBack()
                    continue
                }
                if let slot = parts.limiter.takeSlot() { return .admitted(slot) }
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
            case .denied(let retryAfter):
                // The queue is busy beyond the horizon: wait, unbooked, until it is not.
                guard await sleep(until: MonotonicClock.now() &+ min(retryAfter, bookingHorizon(key: key))) else { return .cancelled }
            }
        }
        return .cancelled
    }

    /// Whether a booking, woken at its instant, must be given back and made
    /// again instead of used.
    private func mustBookAgain(startAt: UInt64, rateBooked: GCRA.Limit, overrunsBooked: UInt64) -> Bool {
        let now = MonotonicClock.now()
        // A reservation is a promise to start at its instant. Woken much later
        // (the process was frozen or starved), starting now could stack with
        // starts booked after ours.
        if now > startAt &+ Self.lateStartTolerance { return true }
        // A 429 elsewhere since our reservation holds the whole queue: the
        // next reservation honours the push-back.
        if parts.limiter.pushedBackUntil > now { return true }
        // The rate changed while we waited: book at the rate in force.
        if parts.limiter.limits.rate != rateBooked { return true }
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
            if parts.limiter.limits.rate != rate { return !Task.isCancelled }
        }
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

    private func reserve(cost: UInt64, key: String?) -> (Reservation, ReservationTicket, LocalTicket?) {
        let now = MonotonicClock.now()
        let horizon = bookingHorizon(key: key)
        guard let localLimiter else {
            let (reservation, ticket) = parts.limiter.reserveTicket(cost: cost, key: key, maxWait: horizon)
            return (reservation, ticket, nil)
        }
        return localLimiter.reserve(now: now) { earliest in
            parts.limiter.reserveTicket(cost: cost, key: key, maxWait: horizon, notBefore: earliest)
        }
    }

    /// Waits until a fleet-wide slot may be free (see `SlotWaiters`).
    private func waitForFreeSlot() async {
        let limit = parts.limiter.limits.maxConcurrent
        guard limit > 0 else { return }
        await slotWaiters.wait { [parts] in parts.limiter.slotsInUse < parts.limiter.limits.maxConcurrent }
    }


}
