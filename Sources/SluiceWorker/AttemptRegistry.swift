import Synchronization

/// The attempts a worker has in flight, and what each is doing, so shutdown
/// can release the ones that have not started and wait for the ones sending.
final class AttemptRegistry: Sendable {
    enum Phase: Sendable { case waiting, sending }

    private struct Entry {
        var phase: Phase
        var task: Task<Void, Never>?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    private let serial = Atomic<UInt64>(0)

    /// Registers a new attempt in the waiting phase; returns its id.
    func begin() -> UInt64 {
        let id = serial.add(1, ordering: .relaxed).newValue
        entries.withLock { $0[id] = Entry(phase: .waiting, task: nil) }
        return id
    }

    func attach(_ task: Task<Void, Never>, to id: UInt64) {
        entries.withLock { entries in
            // The attempt may already have finished and removed itself.
            if entries[id] != nil { entries[id]?.task = task }
        }
    }

    /// Moves an attempt to `sending`. Returns false if it was cancelled
    /// meanwhile (shutdown): it must not start.
    func markSending(_ id: UInt64) -> Bool {
        entries.withLock { entries in
            guard entries[id] != nil, entries[id]?.task?.isCancelled != true else { return false }
            entries[id]?.phase = .sending
            return true
        }
    }

    func end(_ id: UInt64) { _ = entries.withLock { $0.removeValue(forKey: id) } }

    var count: Int { entries.withLock { $0.count } }
    var sendingCount: Int { entries.withLock { $0.values.filter { $0.phase == .sending }.count } }

    /// Cancels every attempt in `phase` (all if nil).
    func cancel(_ phase: Phase?) {
        let tasks = entries.withLock { entries in entries.values.filter { phase == nil || $0.phase == phase }.compactMap(\.task) }
        tasks.forEach { $0.cancel() }
    }
}
