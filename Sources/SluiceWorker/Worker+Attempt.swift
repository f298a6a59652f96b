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
        let request: OutgoingRequest
        let cost: UInt64
        let limitKey: String?
        do {
            (request, cost, limitKey) = try providerGuard.run(for: lease) { () throws(TaskRejected) in
                let task = ProviderTask(id: record.id.rawValue, kind: record.kind, payload: record.payload)
                return (try parts.provider.request(for: task, credential: parts.credential),
                        record.cost ?? parts.provider.estimatedCost(of: task), key(of: record))
            }
        } catch {
            settle(lease, .deadLetter(reason: error.reason), log: log, event: "task.dead")
            return
        }
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

    /// The per-key limit's key: the task's own, else the configured payload field.
    private func key(of record: TaskRecord) -> String? {
        if let key = record.key { return key }
        guard let field = queue.perKey?.field, case .string(let value)? = record.payload[field] else { return nil }
        return value
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
    func admit(cost: UInt64, key: String?) async -> Admission {
        while !Task.isCancelled {
            let (reservation, ticket, localTicket) = reserve(cost: cost, key: key)
            switch reservation {
            case .granted(let startAt):
                let now = MonotonicClock.now()
                if startAt > now {
                    do {
                        try await Task.sleep(nanoseconds: startAt - now)
                    } catch {
                        ticket.giveBack()
                        localTicket?.giveBack()
                        return .cancelled
                    }
                }
                // Paused while we slept: nothing new starts; hand the task back.
                if parts.limiter.limits.paused {
                    ticket.giveBack()
                    localTicket?.giveBack()
                    return .cancelled
                }
                // A reservation is a promise to start at its instant. Woken
                // much later (the process was frozen or starved), starting now
                // could stack with starts booked after ours: give the instant
                // back and book again.
                if MonotonicClock.now() > startAt &+ Self.lateStartTolerance {
                    ticket.giveBack()
                    localTicket?.giveBack()
                    continue
                }
                // A 429 elsewhere since our reservation holds the whole queue:
                // reserve again; the reservation honours the push-back, so the
                // next turn of the loop sleeps behind it.
                if parts.limiter.pushedBackUntil > MonotonicClock.now() {
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
            case .keyTableFull:
                try? await Task.sleep(nanoseconds: 100_000_000)
            case .denied(let retryAfter):
                if key != nil, queue.perKey != nil { return .deferred(retryAfter) }
                try? await Task.sleep(nanoseconds: min(retryAfter, 1_000_000_000))
            }
        }
        return .cancelled
    }

    /// How far ahead this request may book the shared schedule.
    ///
    /// A keyed request books only a short horizon ahead: booking the instant
    /// its busy key allows would book the queue-wide cell then too, and every
    /// request for a free key behind it would wait (head-of-line blocking; the
    /// bench measured Twilio draining at 1.33× its theoretical time). Beyond
    /// the horizon it is deferred to the spool instead.
    private func reservationHorizon(key: String?) -> UInt64 {
        guard key != nil, queue.perKey != nil else { return Self.maximumReservationAhead }
        return max(2 * queue.rate.interval, Self.minimumKeyedHorizon)
    }

    private func reserve(cost: UInt64, key: String?) -> (Reservation, ReservationTicket, LocalTicket?) {
        let now = MonotonicClock.now()
        let horizon = reservationHorizon(key: key)
        guard let localLimiter else {
            let (reservation, ticket) = parts.limiter.reserveTicket(cost: cost, key: key, maxWait: horizon)
            return (reservation, ticket, nil)
        }
        return localLimiter.reserve(now: now) { earliest in
            parts.limiter.reserveTicket(cost: cost, key: key, maxWait: horizon, notBefore: earliest)
        }
    }

    private func waitForFreeSlot() async {
        let limit = parts.limiter.limits.maxConcurrent
        while !Task.isCancelled, limit > 0, parts.limiter.slotsInUse >= limit {
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
    }
}
