import SluicePOSIX

extension SpoolQueue {
    /// True when finished tasks keep their answers (`resultRetention` > 0).
    public var keepsResults: Bool { options.resultRetention > 0 }

    /// Settles `lease` (see `Settlement`), keeping `result` with the task
    /// when the settlement finishes it and results are kept
    /// (`resultRetention` > 0).
    ///
    /// Requires: this process holds the lease. Complete unlinks the lease and
    /// then the id's marker (or, with a done or result retention, moves the
    /// task to `done/`); retry, dead-letter and a kept completion first
    /// replace the lease's content with the updated task, result included
    /// (fdatasync'd, then swapped in for it), and then rename it; release is
    /// one rename back to `ready/` at the same due time. So a result is on
    /// disk whole before its task leaves `leased/`, or not at all.
    public func settle(_ lease: Lease, _ settlement: Settlement, result: TaskResult?) throws(SpoolError) {
        var record = lease.task
        record.apply(settlement, now: clock.now())
        if keepsResults { record.keep(result, for: settlement) }
        var state = lease.state
        let move = try transition { try state.settle(settlement, key: lease.key, keepDone: options.finishedRetention > 0) }
        try perform(move, record: record, key: lease.key, doing: "\(settlement.verb) task \"\(lease.task.id)\"")
    }

    /// Carries out `move` for the task with `key`, whose new content is `record`.
    func perform(_ move: FileMove, record: TaskRecord, key: String, doing: String) throws(SpoolError) {
        switch move {
        case .none:
            return
        case .rename(let from, let to):
            try rename(from, to, doing: doing)
        case .rewriteThenRename(let from, let to):
            try rewrite(from, with: record, doing: doing)
            try rename(from, to, doing: doing)
        case .delete(let path):
            let removed = try spoolIO(doing) { try SpareFiles.retire(path, folders: folders, as: tmpName()) }
            guard removed else { throw SpoolError("\(doing): \(path) is gone; another process moved it; nothing was changed") }
            // The file first, then the marker: a crash between leaves the id
            // taken by a finished task (a re-enqueue is refused), never a
            // second live copy.
            _ = try spoolIO(doing) { try folders.ids.unlink(key) }
        }
    }

    private func rename(_ from: SpoolPath, _ to: SpoolPath, doing: String) throws(SpoolError) {
        let outcome = try spoolIO(doing) {
            try folders[from.folder].rename(from.name, to: folders[to.folder], as: to.name, replacing: to.folder == .done)
        }
        switch outcome {
        case .done: return
        case .sourceMissing: throw SpoolError("\(doing): \(from) is gone; another process moved it; nothing was changed")
        case .targetExists: throw SpoolError("\(doing): \(to) already exists; left \(from) as it is")
        }
    }

    /// Replaces the content of `path` atomically with `record`: a new file,
    /// fdatasync'd, swapped in for the old one.
    ///
    /// Requires: the caller owns `path` (holds it as its lease). Even so the
    /// swap is an exchange (renameat2 RENAME_EXCHANGE), which fails when
    /// `path` is gone, rather than a rename over it, which would recreate a
    /// file another process had just moved away. Where the file system
    /// cannot exchange, it checks then renames (a window only a process
    /// wrongly thought dead can hit).
    private func rewrite(_ path: SpoolPath, with record: TaskRecord, doing: String) throws(SpoolError) {
        let folder = folders[path.folder]
        let scratch = tmpName() + ".task"
        let swapped = try spoolIO("\(doing): nothing was changed") { () throws(SystemError) -> PlaceOutcome in
            try folders.tmp.createFile(scratch, bytes: record.jsonBytes(), sync: true)
            do throws(SystemError) {
                if let exchanged = try folder.exchange(path.name, with: folders.tmp, scratch) {
                    // The old content is now the scratch file: recycle it.
                    if exchanged == .done { _ = try? SpareFiles.retire(SpoolPath(.tmp, scratch), folders: folders, as: tmpName()) }
                    return exchanged
                }
                guard try folder.exists(path.name) else { return .sourceMissing }
                return try folders.tmp.rename(scratch, to: folder, as: path.name, replacing: true)
            } catch {
                _ = try? folders.tmp.unlink(scratch)
                throw error
            }
        }
        guard swapped == .done else {
            _ = try? folders.tmp.unlink(scratch)
            throw SpoolError("\(doing): \(path) is gone; another process moved it; nothing was changed")
        }
    }

    /// Makes the names in `touched` durable (fsync of each folder), for an
    /// operator's change that is reported done only once it survives a power loss.
    func syncFolders(_ touched: Set<SpoolFolder>, doing: String) throws(SpoolError) {
        for folder in SpoolFolder.allCases where touched.contains(folder) {
            try spoolIO("\(doing): the change is made but not yet durable") { try folders[folder].sync() }
        }
    }
}

extension Settlement {
    var verb: String {
        switch self {
        case .complete: "complete"
        case .retry: "retry"
        case .postpone: "postpone"
        case .reschedule: "reschedule"
        case .deadLetter: "dead-letter"
        case .release: "release"
        }
    }
}
