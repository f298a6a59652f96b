import SluicePOSIX

extension SpoolQueue {
    /// The dead tasks, the longest dead first. An unreadable file is listed
    /// with its `problem`.
    public func deadTasks() throws(SpoolError) -> [TaskStatus] {
        let keys = try spoolIO("list dead tasks of queue \"\(name)\"") { try folders.dead.names() }
        let dated = keys.map { (key: $0, since: folders.dead.modificationTime(of: $0) ?? 0) }
        return dated.sorted { ($0.since, $0.key) < ($1.since, $1.key) }.compactMap { readStatus(key: $0.key, state: .dead, id: nil) }
    }

    /// Moves dead tasks back to `ready/`, due now, attempts reset to 1 (the
    /// history keeps what happened). With `id`, only that task. Durable when
    /// it returns. A dead file that is not a valid task is quarantined and
    /// skipped. Returns the ids replayed.
    ///
    /// Each task is first claimed out of `dead/` by a rename into `leased/`
    /// (exactly one of several concurrent replays wins it), then rewritten
    /// as this process's lease, then released to `ready/`. A crash in
    /// between leaves a lease that recovery returns to `ready/` unrewritten:
    /// replayed with its old attempt count, never lost, never twice.
    public func replayDead(_ id: TaskID?) throws(SpoolError) -> [TaskID] {
        started.store(true, ordering: .relaxed)
        var keys = [id?.fileKey].compactMap { $0 }
        if id == nil { keys = try spoolIO("list dead tasks of queue \"\(name)\"") { try folders.dead.names() } }
        var replayed: [TaskID] = []
        var failures: [SpoolError] = []
        for key in keys {
            do {
                if let replayedID = try replay(key: key) { replayed.append(replayedID) }
            } catch {
                failures.append(error)
            }
        }
        if !replayed.isEmpty { try syncFolders([.dead, .leased, .ready], doing: "replay dead tasks of queue \"\(name)\"") }
        // A failure is always reported, even beside tasks that were replayed.
        guard let first = failures.first else { return replayed }
        let done = replayed.isEmpty ? "" : "replayed \(replayed.count) (\(replayed.prefix(5).map(\.rawValue).joined(separator: ", "))\(replayed.count > 5 ? ", …" : "")); "
        throw SpoolError("\(done)\(failures.count) could not be replayed and stay dead; the first: \(first)", systemError: first.systemError)
    }

    /// Replays the dead task with `key`; nil if it is not (or no longer) dead,
    /// or was quarantined.
    private func replay(key: String) throws(SpoolError) -> TaskID? {
        let now = clock.now()
        var state = TaskState.dead
        guard case .rename(_, let leasePath) = try transition({ try state.claimDead(by: pid, now: now, key: key) }) else { return nil }
        let claimed = try spoolIO("replay task \(key)") { try folders.dead.rename(key, to: folders.leased, as: leasePath.name) }
        guard claimed == .done else { return nil }  // not dead, or another replay won it
        let record: TaskRecord
        switch readTask(leasePath) {
        case .record(let found):
            record = found
        case .missing:
            return nil
        case .invalid(let problem):
            quarantine(leasePath, reason: "replayed from dead/: \(problem)")
            return nil
        case .unreadable(let error):
            // Not the task's fault: put it back where it was.
            _ = try? folders.leased.rename(leasePath.name, to: folders.dead, as: key)
            throw SpoolError.io("replay task \(key): it stays dead", error)
        }
        var replayedRecord = record
        replayedRecord.replay(now: now)
        do {
            let move = try transition { try state.releaseReplayed(key: key) }
            try perform(move, record: replayedRecord, key: key, doing: "replay task \"\(record.id)\"")
        } catch {
            // Claimed but not replayed: back to dead/, where the operator left it.
            let back = (try? folders.leased.rename(leasePath.name, to: folders.dead, as: key)) == .done
            throw SpoolError("replay task \"\(record.id)\": \(error)"
                             + (back ? "; it is still dead" : "; it is in \(leasePath) and goes back to ready/, unreplayed, when recovery finds this process gone"),
                             systemError: error.systemError)
        }
        return record.id
    }
}
