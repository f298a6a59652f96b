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
        let task = ProviderTask(id: record.id.rawValue, kind: record.kind, payload: record.payload)
        let log = parts.log.with([("task", record.id.rawValue), ("attempt", "\(record.attempt)")])
        let request: OutgoingRequest
        do {
            request = try parts.provider.request(for: task, credential: parts.credential)
        } catch {
            settle(lease, .deadLetter(reason: error.reason), log: log, event: "task.dead")
            return
        }
        let cost = record.cost ?? parts.provider.estimatedCost(of: task)
        let slot: ConcurrencySlot
        switch await admit(cost: cost, key: key(of: record)) {
        case .admitted(let granted):
            slot = granted
        case .cancelled:
            settle(lease, .release, log: log, event: "task.released")
            return
        case .impossible(let reason):
            settle(lease, .deadLetter(reason: reason), log: log, event: "task.dead")
            return
        }
        guard attempts.markSending(id) else {
            parts.limiter.release(slot)
            settle(lease, .release, log: log, event: "task.released")
            return
        }
        let sentAt = MonotonicClock.now()
        let result = await parts.executor.send(request)
        parts.limiter.release(slot)
        if Task.isCancelled {
            // Cut off by the shutdown deadline: not the task's failure.
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
        /// Shutdown: the attempt must not start; nothing is held.
        case cancelled
        /// It can never start as it is.
        case impossible(String)
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
                // A 429 elsewhere since our reservation holds the whole queue:
                // reserve again, behind the push-back.
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
            case .paused, .keyTableFull:
                try? await Task.sleep(nanoseconds: 100_000_000)
            case .denied(let retryAfter):
                try? await Task.sleep(nanoseconds: min(retryAfter, 1_000_000_000))
            }
        }
        return .cancelled
    }

    private func reserve(cost: UInt64, key: String?) -> (Reservation, ReservationTicket, LocalTicket?) {
        let now = MonotonicClock.now()
        guard let localLimiter else {
            let (reservation, ticket) = parts.limiter.reserveTicket(cost: cost, key: key, maxWait: Self.maximumReservationAhead)
            return (reservation, ticket, nil)
        }
        return localLimiter.reserve(now: now) { earliest in
            parts.limiter.reserveTicket(cost: cost, key: key, maxWait: Self.maximumReservationAhead, notBefore: earliest)
        }
    }

    private func waitForFreeSlot() async {
        let limit = parts.limiter.limits.maxConcurrent
        while !Task.isCancelled, limit > 0, parts.limiter.slotsInUse >= limit {
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
    }
}
