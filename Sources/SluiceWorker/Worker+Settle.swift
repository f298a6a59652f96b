import Foundation
import SluiceConfig
import SluiceCore
import SluiceLimiter
import SluicePOSIX
import SluiceProviders
import SluiceSpool

extension Worker {
    /// Classifies an attempt's result, tells the queue what it learnt
    /// (push-back, real cost), and settles the task.
    func conclude(_ lease: Lease, result: HTTPExecutor.Result, cost: UInt64, elapsed: UInt64, log: EventLog) {
        let record = lease.task
        // Classifying reads what the provider sent: provider code, run as the task in hand.
        let (classification, status, settlement) = providerGuard.run(for: lease) {
            let (classification, status) = classify(result)
            let settlement = AttemptPlan.settlement(
                for: classification.outcome, attempt: record.attempt,
                maximumAttempts: record.maxAttempts ?? queue.retry.maximumAttempts, policy: queue.retry,
                now: parts.wallClock.now(), jitterUnit: Double.random(in: 0..<1)
            )
            return (classification, status, redacted(settlement))
        }
        parts.limiter.taskStatistics.attemptConcluded(
            Self.attemptResult(status: status, classification.outcome), status: status, duration: elapsed)
        let statusText = status.map { "\($0)" } ?? "none"
        if let pushBack = classification.pushBack {
            parts.limiter.pushBack(until: MonotonicClock.now() + pushBack)
            // `from` names the header the wait came from (`retry-after-ms`, …; none: the default second).
            log.warn("queue.pushed_back", ("status", statusText), ("for_ms", "\(pushBack / 1_000_000)"),
                     ("from", classification.wait?.header ?? "none"))
        }
        if classification.pushBack == nil { holdForSpokenForBudget(classification.budgets, cost: cost, elapsed: elapsed, log: log) }
        if let used = classification.costUsed, used > cost {
            parts.limiter.chargeWeighted(extra: used - cost)
        }
        let event = switch settlement {
        case .complete: "task.done"
        case .deadLetter: "task.dead"
        case .release: "task.released"
        default: "task.retry"
        }
        settle(lease, settlement, result: answer(result, for: settlement, attempt: record.attempt),
               log: log.with([("status", statusText), ("ms", "\(elapsed / 1_000_000)")]), event: event)
    }

    /// The answer to keep with the task when `settlement` finishes it (done,
    /// or dead with its last answer); nil otherwise, when none came, or when
    /// the store keeps none (no redaction and encoding spent for nothing).
    func answer(_ result: HTTPExecutor.Result, for settlement: Settlement, attempt: Int) -> TaskResult? {
        guard parts.store.keepsResults else { return nil }
        switch settlement {
        case .complete, .deadLetter: break
        case .retry, .postpone, .reschedule, .release: return nil
        }
        let now = parts.wallClock.now()
        switch result {
        case .answered(let response):
            return resultCapture.result(status: response.status, headers: response.headers, body: response.body, attempt: attempt, at: now)
        case .oversized(let status, let headers, _) where status > 0:
            return resultCapture.unreadResult(status: status, headers: headers, attempt: attempt, at: now)
        case .oversized, .transportFailure:
            return nil
        }
    }

    /// Holds the queue until a budget the answer states refills, when what
    /// is left of it is already spoken for: the units the fleet started
    /// while this answer travelled back (its round trip `elapsed` at the pace
    /// in force) will spend it, and the next request would draw a 429. A
    /// budget of requests is paced by the queue's rate; one of tokens (or any
    /// unit) by the weighted limit of the same name, one request costing
    /// `cost` of it. (A spent budget, 0, is the classification's own push-back.)
    private func holdForSpokenForBudget(_ budgets: [RateBudget], cost: UInt64, elapsed: UInt64, log: EventLog) {
        let limits = parts.limiter.limits
        for budget in budgets {
            guard budget.remaining > 0, let resetIn = budget.resetIn, resetIn > 0 else { continue }
            let onTheWire: UInt64
            if budget.name.isEmpty || budget.name == "requests" {
                let interval = limits.rate.interval
                guard interval > 0 else { continue }
                onTheWire = elapsed / interval + 1
            } else if let index = queue.weighted.firstIndex(where: { $0.name == budget.name }), index < limits.weighted.count {
                let interval = limits.weighted[index].interval
                guard interval > 0 else { continue }
                onTheWire = (elapsed / interval).addingReportingOverflow(cost).partialValue
            } else {
                continue
            }
            guard budget.remaining <= onTheWire else { continue }
            parts.limiter.pushBack(until: MonotonicClock.now() &+ resetIn)
            log.info("queue.pushed_back", ("reason", "budget"), ("budget", budget.name.isEmpty ? "requests" : budget.name),
                     ("remaining", "\(budget.remaining)"), ("on_the_wire", "\(onTheWire)"),
                     ("for_ms", "\(resetIn / 1_000_000)"), ("from", budget.resetHeader ?? "none"))
            return
        }
    }

    static func seconds(_ nanoseconds: UInt64) -> String { String(format: "%.3f", Double(nanoseconds) / 1e9) }

    /// What `result` means for the task, and the answer's status (nil when
    /// none came). Every text a provider wrote passes the queue's redactor.
    func classify(_ result: HTTPExecutor.Result) -> (Classification, status: Int?) {
        let now = Int(parts.wallClock.now() / 1_000_000_000)
        switch result {
        case .answered(var response):
            response.redactor = redactor
            return (parts.provider.classify(response, retryBound: queue.retry.maximumInterval, wallClockNow: now), response.status)
        case .oversized(let status, let headers, let what):
            // The status and headers still say what the queue must do (a 429's
            // push-back); the answer itself could not be read.
            let head = ProviderResponse(status: status, headers: headers, body: [], redactor: redactor)
            var classification = parts.provider.classify(head, retryBound: queue.retry.maximumInterval, wallClockNow: now)
            let reason = (status > 0 ? "HTTP \(status): " : "") + "the answer was larger than the queue's maxResponseBytes "
                + "(\(queue.maxResponseBytes)): \(what); raise maxResponseBytes if the provider's answers are that large"
            switch classification.outcome {
            case .success: classification.outcome = .fail(reason: reason + " (it succeeded at the provider: not sent again)")
            case .fail: classification.outcome = .fail(reason: reason)
            case .retry(let delay, _, let spends): classification.outcome = .retry(delay: delay, reason: reason, spendsAttempt: spends)
            }
            classification.costUsed = nil
            return (classification, status > 0 ? status : nil)
        case .transportFailure(let reason):
            return (Classification(.retry(delay: nil, reason: reason, spendsAttempt: true)), nil)
        }
    }

    /// The `result` label of an attempt answered with `status` (nil: no
    /// answer) that means `outcome`.
    static func attemptResult(status: Int?, _ outcome: Outcome) -> AttemptResult {
        guard let status else { return .transportError }
        if status == 429 { return .rateLimited }
        switch outcome {
        case .success: return .success
        case .retry: return .retry
        case .fail: return .failed
        }
    }

    /// Settles and logs; a spool failure is logged, and the lease stays for
    /// recovery to return (at least once, never lost).
    func settle(_ lease: Lease, _ settlement: Settlement, result: TaskResult? = nil, log: EventLog, event: String) {
        let settlement = redacted(settlement)
        do {
            try parts.store.settle(lease, settlement, result: result)
        } catch {
            log.error("spool.settle_failed", ("error", "\(error)"))
            return
        }
        switch settlement {
        case .complete: parts.limiter.taskStatistics.completed(success: true)
        case .deadLetter: parts.limiter.taskStatistics.completed(success: false)
        default: break
        }
        // One clock read, subtracted with saturation: the clock may pass `due`
        // between two reads (a trap, and a worker lost, when it did).
        let now = parts.wallClock.now()
        switch settlement {
        case .deadLetter(let reason): log.warn(event, ("reason", reason))
        case .retry(let due, let error), .postpone(let due, let error):
            log.info(event, ("reason", error), ("retry_in_s", Self.seconds(due.subtractingSaturated(now))))
        case .reschedule(let due):
            log.debug(event, ("due_in_s", Self.seconds(due.subtractingSaturated(now))))
        default: log.info(event)
        }
    }

    /// `settlement` with the queue's secrets (and anything shaped like a
    /// credential) removed from its reason: what is stored and logged.
    func redacted(_ settlement: Settlement) -> Settlement {
        switch settlement {
        case .deadLetter(let reason): .deadLetter(reason: redactor.redact(reason))
        case .retry(let due, let error): .retry(dueAt: due, error: redactor.redact(error))
        case .postpone(let due, let error): .postpone(dueAt: due, error: redactor.redact(error))
        case .complete, .reschedule, .release: settlement
        }
    }
}
