import Synchronization

/// The attempts a worker has in flight, and what each is doing, so shutdown
/// can release the ones that have not started and wait for the ones sending.
final class AttemptRegistry: Sendable {
    enum Phase: Sendable { case waiting, sending }

    private struct Entry {
        var phase: Phase
        var task: Task<Void, Never>?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        /// Set when shutdown begins: no waiting attempt may start sending after.
        var refusingToSend = false
    }

    private let state = Mutex(State())
    private let serial = Atomic<UInt64>(0)
    /// `refusingToSend`, readable without the lock: a request waiting at its
    /// gate (handed over, not yet on the wire) asks it there and is withdrawn.
    private let refusing = Atomic<Bool>(false)

    /// Shutdown has begun: nothing not yet on the wire may go.
    var refusesToSend: Bool { refusing.load(ordering: .acquiring) }

    /// Registers a new attempt in the waiting phase; returns its id.
    func begin() -> UInt64 {
        let id = serial.add(1, ordering: .relaxed).newValue
        state.withLock { $0.entries[id] = Entry(phase: .waiting, task: nil) }
        return id
    }

    func attach(_ task: Task<Void, Never>, to id: UInt64) {
        state.withLock { state in
            // The attempt may already have finished and removed itself.
            if state.entries[id] != nil { state.entries[id]?.task = task }
        }
    }

    /// Moves an attempt to `sending`. Returns false if shutdown has begun
    /// (or it was cancelled): it must not start.
    func markSending(_ id: UInt64) -> Bool {
        state.withLock { state in
            guard !state.refusingToSend, state.entries[id] != nil, state.entries[id]?.task?.isCancelled != true else { return false }
            state.entries[id]?.phase = .sending
            return true
        }
    }

    /// Moves a sending attempt back to `waiting` (its request was not sent:
    /// too late, booked again). Returns false if shutdown has begun: it must
    /// not wait for another instant but give its task back.
    func markWaiting(_ id: UInt64) -> Bool {
        state.withLock { state in
            guard !state.refusingToSend, state.entries[id] != nil, state.entries[id]?.task?.isCancelled != true else { return false }
            state.entries[id]?.phase = .waiting
            return true
        }
    }

    func end(_ id: UInt64) { _ = state.withLock { $0.entries.removeValue(forKey: id) } }

    var count: Int { state.withLock { $0.entries.count } }
    var sendingCount: Int { state.withLock { $0.entries.values.filter { $0.phase == .sending }.count } }

    /// Shutdown: from now on no attempt may start sending, and every one still
    /// waiting is cancelled. One critical section decides both, so an attempt
    /// is either already sending (and gets the shutdown timeout) or never sends.
    /// One handed over but still at its gate is withdrawn there (`refusesToSend`).
    func stopWaitingAttempts() {
        let tasks = state.withLock { state in
            state.refusingToSend = true
            refusing.store(true, ordering: .releasing)
            return state.entries.values.filter { $0.phase == .waiting }.compactMap(\.task)
        }
        tasks.forEach { $0.cancel() }
    }

    /// Cancels every attempt still in flight (past the shutdown deadline).
    func cancelAll() {
        let tasks = state.withLock { $0.entries.values.compactMap(\.task) }
        tasks.forEach { $0.cancel() }
    }
}
