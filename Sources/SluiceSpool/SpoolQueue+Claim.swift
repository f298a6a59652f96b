import Glibc
import SluicePOSIX

extension SpoolQueue {
    /// Claims the earliest-due task that is due now, or returns nil if none is.
    ///
    /// The claim is `rename(ready/<due>-<key>, leased/<pid>-<due>-<key>)`:
    /// among any number of processes racing for a task, exactly one rename
    /// succeeds; the others see ENOENT and move on to the next task. A file
    /// that does not parse is quarantined and the next task is tried.
    public func claim() throws(SpoolError) -> Lease? {
        let now = clock.now()
        return try claimer.withLock { state throws(SpoolError) -> Lease? in
            try refresh(&state, now: now)
            while let (due, key) = state.index.popDue(atOrBefore: now) {
                if let lease = try take(due: due, key: key) { return lease }
            }
            return nil
        }
    }

    /// The earliest due time among ready tasks (nil if there are none), for
    /// a worker to sleep until. May be early (a stale entry), never late.
    public func nextDueAt() throws(SpoolError) -> UInt64? {
        let now = clock.now()
        return try claimer.withLock { state throws(SpoolError) -> UInt64? in
            try refresh(&state, now: now)
            return state.index.earliestDue
        }
    }

    /// Blocks until a task or batch arrives, or `milliseconds` pass.
    public func waitForArrivals(milliseconds: Int32) -> Bool {
        guard let fd = claimer.withLock({ $0.watch?.fd }) else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Renames one ready file into `leased/` and reads it; nil if another
    /// process took it first or it was quarantined.
    private func take(due: UInt64, key: String) throws(SpoolError) -> Lease? {
        var state = TaskState.ready(dueAt: due)
        guard case .rename(let from, let to) = try transition({ try state.claim(by: pid, key: key) }) else {
            return nil
        }
        let moved = try spoolIO("claim from queue \"\(name)\"") { try folders.ready.rename(from.name, to: folders.leased, as: to.name) }
        guard moved == .done else { return nil }  // another process won this one
        do {
            guard let bytes = try folders.leased.read(to.name, limit: Self.maximumFileSize) else { return nil }
            var record = try TaskRecord(parsing: bytes)
            guard record.id.fileKey == key else {
                throw TaskValidationError(field: "id", value: record.id.rawValue, problem: "does not match the file name's key \"\(key)\"")
            }
            record.dueAt = due
            return Lease(task: record, key: key, dueAt: due, pid: pid)
        } catch {
            quarantine(to, reason: "claimed from \(from): \(error)")
            return nil
        }
    }

    /// Brings the index up to date: starts watching on first use, takes in
    /// arrivals, expands new batches, and rebuilds from a full scan when
    /// events were lost or the rescan interval passed.
    private func refresh(_ state: inout ClaimState, now: UInt64) throws(SpoolError) {
        if state.watch == nil {
            // Watch before scanning, so nothing arriving in between is missed.
            state.watch = try spoolIO("watch queue \"\(name)\"") {
                try DirectoryWatch([(.ready, folders.ready), (.journal, folders.journal)])
            }
            return try rebuild(&state, now: now)
        }
        guard drain(&state) else { return try rebuild(&state, now: now) }
        if now >= state.lastScan &+ options.rescanInterval { return try rebuild(&state, now: now) }
        if state.batchArrived {
            state.batchArrived = false
            try expandBatchesNotBusy()
            _ = drain(&state)
        }
    }

    /// Takes in pending events; false if some were lost.
    private func drain(_ state: inout ClaimState) -> Bool {
        guard let watch = state.watch else { return false }
        var arrivedBatch = false
        let complete = watch.drain { [self] folder, name in
            switch folder {
            case .ready: if !state.index.insert(name) { quarantineLater(name) }
            case .journal: if String(decoding: name, as: UTF8.self).hasSuffix(".ndjson") { arrivedBatch = true }
            default: break
            }
        }
        state.batchArrived = state.batchArrived || arrivedBatch
        return complete
    }

    private func quarantineLater(_ name: UnsafeBufferPointer<UInt8>) {
        quarantine(SpoolPath(.ready, String(decoding: name, as: UTF8.self)), reason: "the name is not <due-ns, 20 digits>-<key>")
    }

    /// The claim path does not wait for a batch another process is
    /// expanding: that process publishes its tasks into ready/ and inotify
    /// brings them here.
    private func expandBatchesNotBusy() throws(SpoolError) {
        _ = try spoolIO("expand pending batches of queue \"\(name)\"") { try expander.expandAll(waiting: 0) }
    }

    private func rebuild(_ state: inout ClaimState, now: UInt64) throws(SpoolError) {
        state.batchArrived = false
        try expandBatchesNotBusy()
        let rejected = try spoolIO("scan queue \"\(name)\"") { () throws(SystemError) -> [String] in
            try state.index.rebuild { (body) throws(SystemError) in try folders.ready.forEachName(body) }
        }
        for name in rejected {
            quarantine(SpoolPath(.ready, name), reason: "the name is not <due-ns, 20 digits>-<key>")
        }
        // A bounded share of the spare trimming each time, so a claim never stalls long.
        _ = try? SpareFiles.trim(folders: folders, keeping: options.maximumSpareFiles, limit: 2000)
        state.lastScan = now
    }
}

/// Runs a state transition, turning a refusal into a `SpoolError`.
func transition(_ body: () throws -> FileMove) throws(SpoolError) -> FileMove {
    do { return try body() } catch { throw SpoolError("\(error)") }
}
