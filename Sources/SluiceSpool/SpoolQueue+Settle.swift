import SluicePOSIX

extension SpoolQueue {
    /// Settles `lease` (see `Settlement`).
    ///
    /// Requires: this process holds the lease. Complete unlinks the lease and
    /// then the id's marker (or, with a done retention, moves the task to
    /// `done/`); retry and dead-letter first replace the lease's content with
    /// the updated task (fdatasync'd, then renamed over it) and then rename
    /// it; release is one rename back to `ready/` at the same due time.
    public func settle(_ lease: Lease, _ settlement: Settlement) throws(SpoolError) {
        var record = lease.task
        record.apply(settlement, now: clock.now())
        var state = lease.state
        let move = try transition { try state.settle(settlement, key: lease.key, keepDone: options.doneRetention > 0) }
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

    /// Replaces the content of `path` atomically: a new file, fdatasync'd,
    /// renamed over it. Requires: `path` exists (checked first, so a lease
    /// that was recovered away is not recreated).
    private func rewrite(_ path: SpoolPath, with record: TaskRecord, doing: String) throws(SpoolError) {
        let folder = folders[path.folder]
        guard folder.exists(path.name) else {
            throw SpoolError("\(doing): \(path) is gone; another process moved it; nothing was changed")
        }
        let scratch = tmpName() + ".task"
        try spoolIO("\(doing): nothing was changed") {
            try folders.tmp.createFile(scratch, bytes: record.jsonBytes(), sync: true)
            do {
                _ = try folders.tmp.rename(scratch, to: folder, as: path.name, replacing: true)
            } catch {
                _ = try? folders.tmp.unlink(scratch)
                throw error
            }
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
