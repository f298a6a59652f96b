import SluicePOSIX

extension SpoolQueue {
    /// Accepts `requests` as one durable batch.
    ///
    /// When this returns, every `.accepted` task is on disk (file and
    /// directory synced) and survives a crash. A request whose id is already
    /// in the spool (in any state, or earlier in `requests`) is not written
    /// again: its outcome is `.existing` with the task found. On a throw,
    /// nothing was accepted and nothing is left behind. New tasks become
    /// claimable when their batch is expanded: at once with
    /// `expandingNow` (a failure there leaves the batch, accepted, to the
    /// next expander), else by the next claimer that sees the batch.
    public func enqueue(_ requests: [TaskRequest], expandingNow: Bool = false) throws(SpoolError) -> [EnqueueOutcome] {
        try checkBatch(requests)
        let now = clock.now()
        let records = requests.map { TaskRecord(request: $0, id: $0.id ?? TaskID.generate(), now: now) }
        var outcomes: [EnqueueOutcome?] = Array(repeating: nil, count: records.count)
        var firstByKey: [String: Int] = [:]
        var fresh: [Int] = []
        var taken: [Int] = []
        for (index, record) in records.enumerated() {
            let key = record.id.fileKey
            if let first = firstByKey[key] {
                outcomes[index] = .existing(record.id, TaskStatus(id: record.id, queue: name, state: .journaled, record: records[first]))
            } else if requests[index].id != nil, try spoolIO("enqueue to queue \"\(name)\": nothing was accepted", { try folders.ids.exists(key) }) {
                taken.append(index)
            } else {
                firstByKey[key] = index
                fresh.append(index)
            }
        }
        if !fresh.isEmpty {
            let accepted = try commit(fresh.map { records[$0] }, now: now, expandingNow: expandingNow)
            for (position, index) in fresh.enumerated() {
                if accepted[position] { outcomes[index] = .accepted(records[index].id) } else { taken.append(index) }
            }
        }
        if !taken.isEmpty {
            let found = try spoolIO("look up existing ids in queue \"\(name)\"") {
                try find(ids: taken.map { records[$0].id })
            }
            for index in taken { outcomes[index] = .existing(records[index].id, found[records[index].id.fileKey]) }
        }
        return zip(outcomes, records).map { outcome, record in outcome ?? .accepted(record.id) }
    }

    /// Commits `records` as one batch and links their id markers. Returns,
    /// per record, whether it was accepted (false: a concurrent enqueue of
    /// the same id linked its marker first).
    ///
    /// A record that lost its id is taken out of the durable batch before
    /// this returns: otherwise, if the winning copy finished (its marker
    /// gone) before this batch was expanded, expansion would find the id
    /// free and run the losing copy too, a task told "existing" run twice.
    private func commit(_ records: [TaskRecord], now: UInt64, expandingNow: Bool) throws(SpoolError) -> [Bool] {
        let lines = records.map { $0.jsonBytes() }
        let bytes = lines.reduce(0) { $0 + $1.count + 1 }
        guard bytes <= options.maximumBatchBytes else {
            throw SpoolError.batchTooLarge("enqueue: the batch is \(bytes) bytes; the most is \(options.maximumBatchBytes): send fewer tasks at a time")
        }
        let base = batchBase(now: now)
        var lock: JournalLock? = try spoolIO("enqueue to queue \"\(name)\": nothing was accepted") {
            try JournalBatch.commit(lines, base: base, tmpName: tmpName(), folders: folders)
        }
        // Committed and durable. Linking the markers now (not only at
        // expansion) lets an enqueue right after this one see the ids taken.
        // We hold the batch's lock, so no expander has removed its origin.
        let originName = base + ".origin"
        var accepted: [Bool] = []
        do throws(SystemError) {
            let origin = try folders.journal.identity(of: originName)
            for record in records {
                let key = record.id.fileKey
                let linked = try folders.journal.link(originName, to: folders.ids, as: key)
                let ours = try linked == .done ? true : folders.ids.identity(of: key) == origin
                accepted.append(ours)
            }
        } catch {
            // A marker that could not be linked (EIO, ENOSPC) or looked up
            // leaves the id unclaimed: accepting the line would let a second
            // enqueue of the id be accepted too. Take the batch back (we hold
            // its lock) and say nothing was accepted.
            if let held = lock { JournalBatch.abandon(held, markers: records.map(\.id.fileKey), folders: folders) }
            throw SpoolError.io("enqueue to queue \"\(name)\": nothing was accepted", error)
        }
        if let held = lock, accepted.contains(false) {
            let kept = zip(lines, accepted).compactMap { line, isAccepted in isAccepted ? line : nil }
            do {
                lock = try JournalBatch.withdraw(keeping: kept, from: held, tmpName: tmpName(), folders: folders)
            } catch {
                // The refused lines could not be taken out: take the whole
                // batch back (we still hold its lock) and say nothing was accepted.
                let ours = zip(records, accepted).compactMap { record, isAccepted in isAccepted ? record.id.fileKey : nil }
                JournalBatch.abandon(held, markers: ours, folders: folders)
                throw SpoolError.io("enqueue to queue \"\(name)\": nothing was accepted", error)
            }
        }
        // Still holding the lock: no other expander can have started on it.
        if expandingNow, let lock { _ = try? expander.expand(lock) }
        withExtendedLifetime(lock) {}
        return accepted
    }

    private func checkBatch(_ requests: [TaskRequest]) throws(SpoolError) {
        guard requests.count <= options.maximumBatchCount else {
            throw SpoolError.batchTooLarge("enqueue: \(requests.count) tasks in one batch; the most is \(options.maximumBatchCount): "
                             + "send them in smaller batches")
        }
        for request in requests where request.queue != name {
            throw SpoolError("enqueue: queue: \"\(request.queue)\" does not match the queue \"\(name)\" it was sent to")
        }
    }
}
