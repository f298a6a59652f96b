extension TaskState {
    /// ready → leased by `pid`. The rename is the claim: exactly one process wins.
    public mutating func claim(by pid: Int32, key: String) throws(TransitionError) -> FileMove {
        guard case .ready(let due) = self else { throw TransitionError(action: "claim", state: self) }
        return try move(to: .leased(pid: pid, dueAt: due), key: key, rewrite: false)
    }

    /// leased → done/deleted, ready(later), dead, or ready(unchanged), per `settlement`.
    ///
    /// Requires: the task is leased (the caller holds the lease).
    public mutating func settle(_ settlement: Settlement, key: String, keepDone: Bool) throws(TransitionError) -> FileMove {
        guard case .leased(_, let due) = self else { throw TransitionError(action: "settle", state: self) }
        switch settlement {
        case .complete where keepDone: return try move(to: .done, key: key, rewrite: true)
        case .complete:
            let file = path(key: key)
            self = .done
            return file.map { .delete($0) } ?? .none
        case .retry(let later, _), .postpone(let later, _): return try move(to: .ready(dueAt: later), key: key, rewrite: true)
        // Only the due time changes, and the file's name is where due times
        // live (a claim reads it from there): one rename, no rewrite, no sync.
        // A crash before it leaves the lease, which recovery returns.
        case .reschedule(let later): return try move(to: .ready(dueAt: later), key: key, rewrite: false)
        case .deadLetter: return try move(to: .dead, key: key, rewrite: true)
        case .release: return try move(to: .ready(dueAt: due), key: key, rewrite: false)
        }
    }

    /// leased by a process that is gone → ready at the same due time; the
    /// attempt is not spent (the file is not rewritten).
    public mutating func recover(key: String) throws(TransitionError) -> FileMove {
        guard case .leased(_, let due) = self else { throw TransitionError(action: "recover", state: self) }
        return try move(to: .ready(dueAt: due), key: key, rewrite: false)
    }

    /// ready (waiting) → ready due at `now`; a task already due stays as it is.
    public mutating func reset(now: UInt64, key: String) throws(TransitionError) -> FileMove {
        guard case .ready(let due) = self else { throw TransitionError(action: "reset", state: self) }
        guard due > now else { return .none }
        return try move(to: .ready(dueAt: now), key: key, rewrite: false)
    }

    /// dead → leased by `pid`, due at `now`: the first half of a replay. The
    /// rename claims the task out of `dead/`, so of several replays at once
    /// exactly one goes on (a process rewrites only a file it owns).
    public mutating func claimDead(by pid: Int32, now: UInt64, key: String) throws(TransitionError) -> FileMove {
        guard case .dead = self else { throw TransitionError(action: "replay", state: self) }
        return try move(to: .leased(pid: pid, dueAt: now), key: key, rewrite: false)
    }

    /// leased → ready at the lease's due time, with new content: the second
    /// half of a replay (attempts reset). Requires: the caller holds the lease.
    public mutating func releaseReplayed(key: String) throws(TransitionError) -> FileMove {
        guard case .leased(_, let due) = self else { throw TransitionError(action: "replay", state: self) }
        return try move(to: .ready(dueAt: due), key: key, rewrite: true)
    }

    private mutating func move(to next: TaskState, key: String, rewrite: Bool) throws(TransitionError) -> FileMove {
        guard let from = path(key: key), let to = next.path(key: key) else {
            throw TransitionError(action: "move", state: self)
        }
        self = next
        return rewrite ? .rewriteThenRename(from: from, to: to) : .rename(from: from, to: to)
    }
}
