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
        let classification: Classification
        var status = "none"
        switch result {
        case .answered(let response):
            status = "\(response.status)"
            classification = parts.provider.classify(
                response, retryBound: queue.retry.maximumInterval, wallClockNow: Int(parts.wallClock.now() / 1_000_000_000))
        case .transportFailure(let reason):
            classification = Classification(.retry(delay: nil, reason: reason, spendsAttempt: true))
        }
        parts.limiter.taskStatistics.attemptConcluded(
            Self.attemptResult(result, classification.outcome), status: Int(status), duration: elapsed)
        if let pushBack = classification.pushBack {
            parts.limiter.pushBack(until: MonotonicClock.now() + pushBack)
            log.warn("queue.pushed_back", ("status", status), ("for_ms", "\(pushBack / 1_000_000)"))
        }
        if let used = classification.costUsed, used > cost {
            parts.limiter.chargeWeighted(extra: used - cost)
        }
        let record = lease.task
        let settlement = AttemptPlan.settlement(
            for: classification.outcome, attempt: record.attempt,
            maximumAttempts: record.maxAttempts ?? queue.retry.maximumAttempts, policy: queue.retry,
            now: parts.wallClock.now(), jitterUnit: Double.random(in: 0..<1)
        )
        let event = switch settlement {
        case .complete: "task.done"
        case .deadLetter: "task.dead"
        case .release: "task.released"
        default: "task.retry"
        }
        settle(lease, settlement, log: log.with([("status", status), ("ms", "\(elapsed / 1_000_000)")]), event: event)
    }

    static func seconds(_ nanoseconds: UInt64) -> String { String(format: "%.3f", Double(nanoseconds) / 1e9) }

    /// The `result` label of an attempt that got `result` and means `outcome`.
    static func attemptResult(_ result: HTTPExecutor.Result, _ outcome: Outcome) -> AttemptResult {
        guard case .answered(let response) = result else { return .transportError }
        if response.status == 429 { return .rateLimited }
        switch outcome {
        case .success: return .success
        case .retry: return .retry
        case .fail: return .failed
        }
    }

    /// Settles and logs; a spool failure is logged, and the lease stays for
    /// recovery to return (at least once, never lost).
    func settle(_ lease: Lease, _ settlement: Settlement, log: EventLog, event: String) {
        do {
            try parts.store.settle(lease, settlement)
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
}
