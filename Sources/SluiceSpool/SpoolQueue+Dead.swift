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
    /// history keeps what happened). With `id`, only that task. An
    /// unreadable dead file is quarantined and skipped. Returns the ids replayed.
    public func replayDead(_ id: TaskID?) throws(SpoolError) -> [TaskID] {
        var keys = [id?.fileKey].compactMap { $0 }
        if id == nil { keys = try spoolIO("list dead tasks of queue \"\(name)\"") { try folders.dead.names() } }
        var replayed: [TaskID] = []
        for key in keys {
            guard let status = readStatus(key: key, state: .dead, id: id) else { continue }
            guard var record = status.record else {
                if let problem = status.problem, folders.dead.exists(key) { quarantine(SpoolPath(.dead, key), reason: problem) }
                continue
            }
            let now = clock.now()
            record.replay(now: now)
            var state = TaskState.dead
            let move = try transition { try state.replay(now: now, key: key) }
            try perform(move, record: record, key: key, doing: "replay task \"\(record.id)\"")
            replayed.append(record.id)
        }
        return replayed
    }
}
