/// How a worker finishes with a task it leased.
public enum Settlement: Sendable, Equatable {
    /// The work succeeded: the task is done.
    case complete
    /// The attempt failed and may be tried again at `dueAt` (wall-clock ns):
    /// the attempt is spent (`attempt + 1`) and `error` is recorded.
    case retry(dueAt: UInt64, error: String)
    /// Not this attempt's fault (a 429 that said when to come back): try
    /// again at `dueAt` (wall-clock ns) without spending an attempt; `error`
    /// is recorded.
    case postpone(dueAt: UInt64, error: String)
    /// Not started because a limit of its own (its key's) will not allow it
    /// before `dueAt`: back to ready for then, attempt not spent, nothing
    /// recorded (it is scheduling, not an event in the task's life).
    case reschedule(dueAt: UInt64)
    /// The task will not be tried again (attempts exhausted, or an answer
    /// that retrying cannot fix): it moves to `dead/` with `reason`.
    case deadLetter(reason: String)
    /// Give the task back untouched, attempt not spent (used on shutdown,
    /// for work that did not start).
    case release
}

extension TaskRecord {
    /// Updates the record for `settlement`, made at `now`.
    ///
    /// Invariant: only `retry` spends an attempt; `release` changes nothing.
    public mutating func apply(_ settlement: Settlement, now: UInt64) {
        switch settlement {
        case .complete:
            appendHistory(at: now, "attempt \(attempt) done")
        case .retry(let due, let error):
            lastError = Self.oneLine(error)
            appendHistory(at: now, "attempt \(attempt) failed, retry at \(Timestamp.format(due)): \(error)")
            attempt += 1
            dueAt = due
        case .postpone(let due, let error):
            lastError = Self.oneLine(error)
            appendHistory(at: now, "attempt \(attempt) postponed to \(Timestamp.format(due)), not spent: \(error)")
            dueAt = due
        case .reschedule(let due):
            dueAt = due
        case .deadLetter(let reason):
            lastError = Self.oneLine(reason)
            appendHistory(at: now, "attempt \(attempt) dead: \(reason)")
        case .release:
            break
        }
    }

    /// Keeps `answer` as the task's result, when `settlement` finishes the
    /// task (done, or dead with its last answer); any other settlement keeps
    /// none (a retried task's answer is summed up in its history line).
    public mutating func keep(_ answer: TaskResult?, for settlement: Settlement) {
        switch settlement {
        case .complete, .deadLetter: result = answer
        case .retry, .postpone, .reschedule, .release: break
        }
    }

    /// Updates the record for a replay from `dead/` at `now`: attempts start
    /// again from 1, due at once; the history and last error stay for context.
    public mutating func replay(now: UInt64) {
        appendHistory(at: now, "replayed from dead after attempt \(attempt); attempts reset")
        // The dead attempt's answer belongs to that life; a replayed task has none until it finishes again.
        result = nil
        attempt = 1
        dueAt = now
    }
}
