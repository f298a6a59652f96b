import SluicePOSIX
import SluiceJSON

extension SpoolQueue {
    /// Makes the ready task `id` due now (attempt unchanged): for a task
    /// waiting at a long backoff after the downstream API recovered.
    public func reset(_ id: TaskID) throws(SpoolError) -> ResetOutcome {
        try expandPendingBatches()
        guard let status = try status(of: id) else { return .notFound }
        guard case .ready(let due) = status.state else { return .notReady(status.state) }
        var state = status.state
        let move = try transition { try state.reset(now: clock.now(), key: id.fileKey) }
        guard move != .none else { return .alreadyDue }
        try perform(move, record: status.record ?? placeholder(id), key: id.fileKey, doing: "reset task \"\(id)\"")
        return .madeDue(previousDueAt: due)
    }

    /// Makes every waiting retry due now: each ready task not yet due whose
    /// attempt is above 1. Tasks waiting for their `notBefore` (attempt 1)
    /// keep their time. Returns the ids reset.
    public func resetWaitingRetries() throws(SpoolError) -> [TaskID] {
        let now = clock.now()
        var waiting: [(due: UInt64, key: String)] = []
        try spoolIO("list waiting tasks of queue \"\(name)\"") {
            for name in try folders.ready.names() {
                if let (due, key) = SpoolNames.parseReady(name), due > now { waiting.append((due, key)) }
            }
        }
        var reset: [TaskID] = []
        for (due, key) in waiting {
            guard let status = readStatus(key: key, state: .ready(dueAt: due), id: nil),
                  let record = status.record, record.attempt > 1 else { continue }
            var state = TaskState.ready(dueAt: due)
            let move = try transition { try state.reset(now: now, key: key) }
            do {
                try perform(move, record: record, key: key, doing: "reset task \"\(record.id)\"")
                reset.append(record.id)
            } catch {
                continue  // claimed meanwhile: it is running now anyway
            }
        }
        return reset
    }

    /// Stands in for a record that a rename-only move never writes.
    private func placeholder(_ id: TaskID) -> TaskRecord {
        TaskRecord(id: id, queue: name, kind: "unknown", payload: JSONObject(), attempt: 1, enqueuedAt: 0, dueAt: 0)
    }
}
