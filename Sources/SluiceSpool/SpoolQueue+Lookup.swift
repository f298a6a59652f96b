import SluicePOSIX

extension SpoolQueue {
    /// The largest task file read back: a task is at most 1 MiB, plus the
    /// spool's fields, plus a kept result (see `TaskResult.maximumStoredBytes`).
    static let maximumFileSize = (2 << 20) + TaskResult.maximumStoredBytes

    /// Where task `id` is and what it holds; nil if the queue never had it
    /// (or it finished and was forgotten: done retention 0).
    public func status(of id: TaskID) throws(SpoolError) -> TaskStatus? {
        try spoolIO("look up task \"\(id)\" in queue \"\(name)\"") { try find(ids: [id])[id.fileKey] }
    }

    /// Finds the tasks with `keys` in every folder (one pass over each) and
    /// in pending batches. A key whose marker exists but whose task is in no
    /// folder finished without a record kept: reported as `.done`, no record.
    func find(ids: [TaskID]) throws(SystemError) -> [String: TaskStatus] {
        var idByKey: [String: TaskID] = [:]
        for id in ids { idByKey[id.fileKey] = id }
        let keys = Set(idByKey.keys)
        var places: [String: TaskState] = [:]
        // Leased before ready before leased again: a task being claimed or
        // released while we look is seen on one side or the other.
        try scanLeased(for: keys, into: &places)
        try folders.ready.forEachName { bytes in
            let name = String(decoding: bytes, as: UTF8.self)
            if let (due, key) = SpoolNames.parseReady(name), keys.contains(key), places[key] == nil { places[key] = .ready(dueAt: due) }
        }
        if places.count < keys.count { try scanLeased(for: keys, into: &places) }
        for key in keys where places[key] == nil {
            if try folders.dead.exists(key) { places[key] = .dead } else if try folders.done.exists(key) { places[key] = .done }
        }
        var found: [String: TaskStatus] = [:]
        for (key, state) in places { found[key] = readStatus(key: key, state: state, id: idByKey[key]) }
        if found.count < keys.count {
            for record in try journaledRecords() where keys.contains(record.id.fileKey) && found[record.id.fileKey] == nil {
                found[record.id.fileKey] = TaskStatus(id: record.id, queue: name, state: .journaled, record: record)
            }
        }
        for key in keys where found[key] == nil {
            guard try folders.ids.exists(key) else { continue }
            if let id = idByKey[key] {
                found[key] = TaskStatus(id: id, queue: name, state: .done, record: nil,
                                        problem: "finished; no record is kept (doneRetention and resultRetention are 0)")
            }
        }
        return found
    }

    private func scanLeased(for keys: Set<String>, into places: inout [String: TaskState]) throws(SystemError) {
        for name in try folders.leased.names() {
            guard let (pid, readyName) = SpoolNames.parseLeased(name), let (due, key) = SpoolNames.parseReady(readyName),
                  keys.contains(key), places[key] == nil else { continue }
            places[key] = .leased(pid: pid, dueAt: due)
        }
    }

    /// Reads the task file for `key` in `state`; a file that vanished or does
    /// not parse is reported in `problem`.
    func readStatus(key: String, state: TaskState, id: TaskID?) -> TaskStatus? {
        guard let path = state.path(key: key), let fallbackID = id ?? (try? TaskID(validating: key)) else { return nil }
        switch readTask(path) {
        case .record(var record):
            if case .ready(let due) = state { record.dueAt = due }
            if case .leased(_, let due) = state { record.dueAt = due }
            return TaskStatus(id: record.id, queue: name, state: state, record: record)
        case .missing:
            return TaskStatus(id: fallbackID, queue: name, state: state, record: nil, problem: "\(path) moved while being read; look again")
        case .invalid(let problem):
            return TaskStatus(id: fallbackID, queue: name, state: state, record: nil, problem: "\(path) is not a valid task: \(problem)")
        case .unreadable(let error):
            return TaskStatus(id: fallbackID, queue: name, state: state, record: nil, problem: "\(path) could not be read: \(error)")
        }
    }

    /// Reads and checks the task file at `path`, telling apart what is the
    /// file's fault (`invalid`: quarantine it) from what is the disk's or
    /// the process's (`unreadable`: EIO, EMFILE; try again later, never
    /// give up on the task for it).
    func readTask(_ path: SpoolPath) -> TaskRead {
        let read: FileRead
        do {
            read = try folders[path.folder].read(path.name, limit: Self.maximumFileSize)
        } catch {
            return .unreadable(error)
        }
        switch read {
        case .missing: return .missing
        case .refused(let reason): return .invalid(reason)
        case .bytes(let bytes):
            do {
                let record = try TaskRecord(parsing: bytes)
                guard let key = path.taskKey, record.id.fileKey == key else {
                    return .invalid("id: \"\(record.id)\" does not match the file name's key \"\(path.taskKey ?? path.name)\"")
                }
                return .record(record)
            } catch {
                return .invalid("\(error)")
            }
        }
    }

    /// Every task in batches not yet expanded.
    func journaledRecords() throws(SystemError) -> [TaskRecord] {
        var records: [TaskRecord] = []
        for name in try folders.journal.names() where name.hasSuffix(".ndjson") || name.hasSuffix(".prepared") {
            guard case .bytes(let bytes) = try folders.journal.read(name, limit: Int.max) else { continue }
            for line in bytes.split(separator: 0x0A) {
                if let record = try? TaskRecord(parsing: line) { records.append(record) }
            }
        }
        return records
    }
}

/// What reading a task file found (see `SpoolQueue.readTask`).
enum TaskRead {
    case record(TaskRecord)
    case missing
    case invalid(String)
    case unreadable(SystemError)
}

extension SpoolPath {
    /// The task key this file's name carries, in any task folder.
    var taskKey: String? {
        switch folder {
        case .ready: SpoolNames.parseReady(name)?.key
        case .leased: SpoolNames.parseLeased(name).flatMap { SpoolNames.parseReady($0.readyName)?.key }
        case .dead, .done: name
        default: nil
        }
    }
}
