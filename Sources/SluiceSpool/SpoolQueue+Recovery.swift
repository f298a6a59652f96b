import SluicePOSIX

extension SpoolQueue {
    /// Repairs what crashed processes left, in an order that is safe to run
    /// at any time, by any number of processes at once, concurrently with
    /// enqueues, claims and expansions:
    ///
    /// - leases held by a pid that no longer exists go back to `ready/` at
    ///   their due time, file untouched (the attempt is not spent);
    /// - files in `tmp/` of writers that are gone, and of batches that are
    ///   finished, are removed (they were never acknowledged, or are
    ///   published already);
    /// - acknowledged batches are expanded into `ready/`;
    /// - origins of batches that were never committed are removed;
    /// - finished tasks past the retention period leave `done/`;
    /// - spare files beyond `maximumSpareFiles` are unlinked.
    ///
    /// Each file is judged from what is on disk after the listing that found
    /// it, never from an earlier listing: another process may commit,
    /// expand or finish a batch between any two steps.
    ///
    /// With `includingOwnLeases`, files carrying this process's pid (leases,
    /// scratch files, uncommitted origins) count as a dead process's: right
    /// for a process that has just started, before it enqueues or claims
    /// anything (a previous process with the same pid, e.g. pid 1 in a
    /// container, left them). So it is honoured only by the first call on
    /// this value, and only if nothing was enqueued, claimed or replayed
    /// through it before: later, files with our pid may be our own live ones
    /// (the supervisor's ingest writes into the queues it recovers).
    public func recover(includingOwnLeases: Bool = false) throws(SpoolError) -> RecoveryReport {
        let includingOwnLeases = !started.exchange(true, ordering: .relaxed) && includingOwnLeases
        var report = RecoveryReport()
        try spoolIO("recover queue \"\(name)\"") {
            try returnLeases(includingOwn: includingOwnLeases, into: &report)
            try removeScratch(includingOwn: includingOwnLeases, into: &report)
            // A batch that cannot be expanded now (a full disk, something
            // planted in the spool) stays durable and is tried again later; it
            // must not make the rest of recovery, or a process's start, fail.
            do throws(SystemError) {
                report.tasksExpanded = try expander.expandAll(waiting: options.expansionWait).tasks
            } catch {
                report.expansionFailure = "\(SpoolError.io("expand a batch", error))"
                options.log.warn("spool.expand_failed", ("queue", name.rawValue), ("error", report.expansionFailure ?? ""),
                                 ("effect", "the batch waits, durable; the next claim or recovery tries again"))
            }
            try removeStaleOrigins(includingOwn: includingOwnLeases)
            try purgeDone(into: &report)
            report.sparesTrimmed = try SpareFiles.trim(folders: folders, keeping: options.maximumSpareFiles, limit: .max)
        }
        return report
    }

    /// Whether the process `owner` has ended (this process counts as ended
    /// with `includingOwn`). A look-up like any other: the test seam sees it.
    private func isGone(_ owner: Int32, includingOwn: Bool) -> Bool {
        folders.queue.faults.observe("stat", "/proc/\(owner)")
        return owner == pid ? includingOwn : !ProcessLiveness.isAlive(owner)
    }

    private func returnLeases(includingOwn: Bool, into report: inout RecoveryReport) throws(SystemError) {
        for name in try folders.leased.names() {
            guard let (owner, readyName) = SpoolNames.parseLeased(name), let (due, key) = SpoolNames.parseReady(readyName) else {
                quarantine(SpoolPath(.leased, name), reason: "the name is not <pid>-<due-ns>-<key>")
                report.quarantined += 1
                continue
            }
            guard isGone(owner, includingOwn: includingOwn) else { continue }
            var state = TaskState.leased(pid: owner, dueAt: due)
            guard case .rename(let from, let to)? = try? state.recover(key: key) else { continue }
            switch try folders.leased.rename(from.name, to: folders.ready, as: to.name) {
            case .done: report.leasesReturned.append(key)
            case .sourceMissing: break  // another recoverer was first
            case .targetExists:
                quarantine(from, reason: "a lease of a dead process whose ready file \(to) also exists")
                report.quarantined += 1
            }
        }
    }

    private func removeScratch(includingOwn: Bool, into report: inout RecoveryReport) throws(SystemError) {
        for name in try folders.tmp.names() {
            let stale: Bool
            if let batch = JournalExpander.batch(ofTmpName: name) {
                // Judged now, after the listing: an expander writes a batch's
                // files only while the batch is in journal/, and a batch leaves
                // journal/ only once all its tasks are published. So a batch
                // absent now is finished for good, and its files are leftovers.
                stale = try !expander.isPending(batch)
            } else if let dash = name.firstIndex(of: "-"), let writer = Int32(name[..<dash]) {
                stale = isGone(writer, includingOwn: includingOwn)
            } else {
                stale = false
            }
            if stale, try SpareFiles.retire(SpoolPath(.tmp, name), folders: folders, as: tmpName()) { report.scratchRemoved += 1 }
        }
    }

    /// An origin without its batch, whose committing process is gone: the
    /// batch was never committed (a crash between the two renames of a
    /// commit), or its expander died after deleting the batch.
    ///
    /// The order of the two checks is what makes this safe: only the
    /// committing process renames its batch into journal/, so once that
    /// process is gone, a batch absent *after* we learnt so never arrives.
    /// (Checked the other way round, a batch renamed in just after the
    /// look and a committer killed just before the liveness check would
    /// lose its origin, and with it every marker's claim to its tasks.)
    private func removeStaleOrigins(includingOwn: Bool) throws(SystemError) {
        for name in try folders.journal.names() where name.hasSuffix(".origin") {
            let base = String(name.dropLast(".origin".count))
            let parts = base.split(separator: "-")
            guard parts.count == 3, let writer = Int32(parts[1]), isGone(writer, includingOwn: includingOwn),
                  try !expander.isPending(base) else { continue }
            _ = try folders.journal.unlink(name)
        }
    }

    /// Removes finished tasks (and their answers) past their retention from
    /// `done/`, and forgets their ids: the part of `recover` a long-running
    /// fleet needs periodically, since recovery itself runs only at a
    /// start or a worker's exit. Returns how many went.
    public func purgeFinished() throws(SpoolError) -> Int {
        var report = RecoveryReport()
        try spoolIO("purge finished tasks of queue \"\(name)\"") { try purgeDone(into: &report) }
        return report.donePurged
    }

    private func purgeDone(into report: inout RecoveryReport) throws(SystemError) {
        let retention = options.finishedRetention
        guard retention > 0 else { return }
        let (now, latest) = retentionClock.withLock {
            ($0.now(wall: clock.now(), monotonic: instants.now(), window: retention), $0.latestOffset)
        }
        let file = RetentionClockFile(folder: folders.queue, tmp: folders.tmp)
        if let latest, latest != file.load() { file.save(latest, scratch: tmpName()) }
        // A retention longer than the clock's count since 1970 keeps everything
        // (a wrapped cutoff purged every finished task at once).
        guard now > retention else { return }
        let cutoff = now - retention
        for key in try folders.done.names() {
            guard let finished = folders.done.modificationTime(of: key), finished < cutoff else { continue }
            if try SpareFiles.retire(SpoolPath(.done, key), folders: folders, as: tmpName()) {
                _ = try folders.ids.unlink(key)
                report.donePurged += 1
            }
        }
    }
}
