import SluicePOSIX
import SluiceJSON

extension SpoolQueue {
    /// Makes the ready task `id` due now (attempt unchanged): for a task
    /// waiting at a long backoff after the downstream API recovered.
    /// Durable when it returns.
    public func reset(_ id: TaskID) throws(SpoolError) -> ResetOutcome {
        try expandPendingBatches()
        guard let status = try status(of: id) else { return .notFound }
        guard case .ready(let due) = status.state else { return .notReady(status.state) }
        var state = status.state
        let move = try transition { try state.reset(now: clock.now(), key: id.fileKey) }
        guard move != .none else { return .alreadyDue }
        let doing = "reset task \"\(id)\""
        try perform(move, record: status.record ?? placeholder(id), key: id.fileKey, doing: doing)
        try syncFolders([.ready], doing: doing)
        return .madeDue(previousDueAt: due)
    }

    /// Makes every waiting task due now: each ready task not yet due that
    /// was pushed back (a retry's backoff, a 429's hold, its key's limit).
    /// Tasks waiting for their own `notBefore` keep their time. Durable when
    /// it returns. Returns the ids reset.
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
                  let record = status.record, !record.isWaitingForNotBefore(dueAt: due) else { continue }
            var state = TaskState.ready(dueAt: due)
            let move = try transition { try state.reset(now: now, key: key) }
            do {
                try perform(move, record: record, key: key, doing: "reset task \"\(record.id)\"")
                reset.append(record.id)
            } catch {
                continue  // claimed meanwhile: it is running now anyway
            }
        }
        if !reset.isEmpty { try syncFolders([.ready], doing: "reset the waiting tasks of queue \"\(name)\"") }
        return reset
    }

    /// Stands in for a record that a rename-only move never writes.
    private func placeholder(_ id: TaskID) -> TaskRecord {
        TaskRecord(id: id, queue: name, kind: "unknown", payload: JSONObject(), attempt: 1, enqueuedAt: 0, dueAt: 0)
    }
}

extension TaskRecord {
    /// Whether a ready task due at `dueAt` (from its file name) is waiting
    /// for the time its client asked for, not pushed back by Sluice. A task
    /// is pushed back only after a claim, which comes at or after `notBefore`,
    /// so a due time still at or before `notBefore` is the client's own.
    func isWaitingForNotBefore(dueAt: UInt64) -> Bool {
        guard let notBefore else { return false }
        return dueAt <= notBefore
    }
}
