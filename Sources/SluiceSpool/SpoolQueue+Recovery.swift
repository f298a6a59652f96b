import SluicePOSIX

extension SpoolQueue {
    /// Repairs what crashed processes left, in an order that is safe to run
    /// at any time, by any number of processes at once:
    ///
    /// - leases held by a pid that no longer exists go back to `ready/` at
    ///   their due time, file untouched (the attempt is not spent);
    /// - files in `tmp/` of writers that are gone are removed (they were
    ///   never acknowledged);
    /// - acknowledged batches are expanded into `ready/`;
    /// - finished tasks past the retention period leave `done/`;
    /// - spare files beyond `maximumSpareFiles` are unlinked.
    ///
    /// With `includingOwnLeases`, leases carrying this process's pid are
    /// returned too: right for a process that has just started (a previous
    /// process with the same pid, e.g. pid 1 in a container, held them), and
    /// wrong once this process has claimed anything.
    public func recover(includingOwnLeases: Bool = false) throws(SpoolError) -> RecoveryReport {
        var report = RecoveryReport()
        try spoolIO("recover queue \"\(name)\"") {
            try returnLeases(includingOwn: includingOwnLeases, into: &report)
            try removeScratch(includingOwn: includingOwnLeases, into: &report)
            report.tasksExpanded = try expander.expandAll(waiting: 5_000_000_000).tasks
            try removeStaleOrigins(includingOwn: includingOwnLeases)
            try purgeDone(into: &report)
            report.sparesTrimmed = try SpareFiles.trim(folders: folders, keeping: options.maximumSpareFiles, limit: .max)
        }
        return report
    }

    private func isGone(_ owner: Int32, includingOwn: Bool) -> Bool {
        owner == pid ? includingOwn : !ProcessLiveness.isAlive(owner)
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
        let pending = Set(try expander.pendingBatches())
        for name in try folders.tmp.names() {
            let stale: Bool
            if let batch = JournalExpander.batch(ofTmpName: name) {
                stale = !pending.contains(batch)  // its batch finished or never committed
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
    private func removeStaleOrigins(includingOwn: Bool) throws(SystemError) {
        let pending = Set(try expander.pendingBatches())
        for name in try folders.journal.names() where name.hasSuffix(".origin") {
            let base = String(name.dropLast(".origin".count))
            let parts = base.split(separator: "-")
            guard !pending.contains(base), parts.count == 3, let writer = Int32(parts[1]),
                  isGone(writer, includingOwn: includingOwn) else { continue }
            _ = try folders.journal.unlink(name)
        }
    }

    private func purgeDone(into report: inout RecoveryReport) throws(SystemError) {
        guard options.doneRetention > 0 else { return }
        let cutoff = clock.now() &- options.doneRetention
        for key in try folders.done.names() {
            guard let finished = folders.done.modificationTime(of: key), finished < cutoff else { continue }
            if try SpareFiles.retire(SpoolPath(.done, key), folders: folders, as: tmpName()) {
                _ = try folders.ids.unlink(key)
                report.donePurged += 1
            }
        }
    }
}
