import Glibc
import SluicePOSIX

extension SpoolQueue {
    /// Claims the earliest-due task that is due now, or returns nil if none is.
    ///
    /// The claim is `rename(ready/<due>-<key>, leased/<pid>-<due>-<key>)`:
    /// among any number of processes racing for a task, exactly one rename
    /// succeeds; the others see ENOENT and move on to the next task. A file
    /// that is not a valid task is quarantined and the next task is tried; a
    /// file that cannot be read (EIO, EMFILE) is given back to `ready/`, held
    /// back from claims for `unreadableHold`, and the next task is tried: one
    /// bad block never stops the queue. If nothing could be claimed and a read
    /// failed, that error is thrown, so the caller backs off.
    public func claim() throws(SpoolError) -> Lease? {
        started.store(true, ordering: .relaxed)
        let now = clock.now()
        return try claimer.withLock { state throws(SpoolError) -> Lease? in
            try refresh(&state, now: now)
            let instant = instants.now()
            var unreadable: SpoolError?
            while let (due, key) = state.index.popDue(atOrBefore: now) {
                if let until = state.heldBack[key], instant < until {
                    state.held[key] = due  // back into the index when the hold ends
                    continue
                }
                switch try take(due: due, key: key) {
                case .lease(let lease): return lease
                case .gone: continue
                case .unreadable(let error):
                    unreadable = unreadable ?? error
                    state.heldBack[key] = instant &+ Self.unreadableHold
                }
            }
            if let unreadable { throw unreadable }
            return nil
        }
    }

    /// How long a task whose file could not be read is left out of claims.
    static let unreadableHold: UInt64 = 5_000_000_000

    /// The earliest due time among ready tasks (nil if there are none), for
    /// a worker to sleep until. May be early (a stale entry), never late.
    public func nextDueAt() throws(SpoolError) -> UInt64? {
        let now = clock.now()
        return try claimer.withLock { state throws(SpoolError) -> UInt64? in
            try refresh(&state, now: now)
            return state.index.earliestDue
        }
    }

    /// Blocks until a task or batch arrives, or `milliseconds` pass.
    /// Without inotify (see `refresh`) it sleeps the whole time.
    public func waitForArrivals(milliseconds: Int32) -> Bool {
        guard let fd = claimer.withLock({ $0.watch?.fd }) else {
            usleep(UInt32(max(0, milliseconds)) * 1000)
            return false
        }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    private enum Taken {
        case lease(Lease)
        /// Another process took it first, or it was quarantined.
        case gone
        /// Claimed, but its file could not be read; given back.
        case unreadable(SpoolError)
    }

    /// Renames one ready file into `leased/` and reads it.
    private func take(due: UInt64, key: String) throws(SpoolError) -> Taken {
        var state = TaskState.ready(dueAt: due)
        guard case .rename(let from, let to) = try transition({ try state.claim(by: pid, key: key) }) else {
            return .gone
        }
        let moved = try spoolIO("claim from queue \"\(name)\"") { try folders.ready.rename(from.name, to: folders.leased, as: to.name) }
        guard moved == .done else { return .gone }  // another process won this one
        switch readTask(to) {
        case .record(var record):
            record.dueAt = due
            return .lease(Lease(task: record, key: key, dueAt: due, pid: pid))
        case .missing:
            return .gone
        case .invalid(let problem):
            quarantine(to, reason: "claimed from \(from): \(problem)")
            return .gone
        case .unreadable(let error):
            // The disk's or this process's trouble, not the task's: the task
            // goes back untouched (attempt not spent) and waits.
            let returned = (try? folders.leased.rename(to.name, to: folders.ready, as: from.name)) == .done
            return .unreadable(SpoolError.io("claim from queue \"\(name)\": reading \(to)", error)
                .adding(returned ? "the task went back to ready/" : "the lease stays; recovery returns it when this process ends"))
        }
    }

    /// Brings the index up to date: starts watching on first use, takes in
    /// arrivals, expands new batches, and rebuilds from a full scan when
    /// events were lost or the rescan interval passed (measured on the
    /// monotonic clock, so a wall-clock step neither suspends nor hastens it).
    ///
    /// Without inotify (its per-user limit reached) the index is rebuilt from
    /// a scan at most every `pollInterval`: slower, but never stuck.
    private func refresh(_ state: inout ClaimState, now: UInt64) throws(SpoolError) {
        let instant = instants.now()
        releaseHeld(&state, at: instant)
        if state.watch == nil {
            if !state.watchFailed {
                do {
                    // Watch before scanning, so nothing arriving in between is missed.
                    state.watch = try DirectoryWatch([(.ready, folders.ready), (.journal, folders.journal)])
                } catch {
                    state.watchFailed = true
                    options.log.warn("spool.watch_failed", ("queue", name.rawValue), ("error", "\(error)"),
                                     ("effect", "claims rescan the folder every \(Self.pollInterval / 1_000_000) ms instead"))
                }
                return try rebuild(&state, now: instant)
            }
            if instant >= state.lastScan &+ Self.pollInterval { try rebuild(&state, now: instant) }
            return
        }
        guard drain(&state) else { return try rebuild(&state, now: instant) }
        if instant >= state.lastScan &+ options.rescanInterval { return try rebuild(&state, now: instant) }
        if state.batchArrived, instant >= state.expansionRetryAt {
            state.batchArrived = false
            expandBatchesNotBusy(&state, now: instant)
            _ = drain(&state)
        }
    }

    /// Puts back into the index the tasks whose hold has ended.
    private func releaseHeld(_ state: inout ClaimState, at instant: UInt64) {
        for (key, until) in state.heldBack where until <= instant {
            state.heldBack[key] = nil
            if let due = state.held.removeValue(forKey: key) {
                var name = SpoolNames.ready(dueAt: due, key: key)
                name.withUTF8 { _ = state.index.insert($0) }
            }
        }
    }

    /// How often a claimer without inotify rescans `ready/`.
    static let pollInterval: UInt64 = 200_000_000
    /// How long after a failed expansion a claimer tries again.
    static let expansionRetryInterval: UInt64 = 1_000_000_000

    /// Takes in pending events; false if some were lost.
    private func drain(_ state: inout ClaimState) -> Bool {
        guard let watch = state.watch else { return false }
        var arrivedBatch = false
        let complete = watch.drain { [self] folder, name in
            switch folder {
            case .ready: if !state.index.insert(name) { quarantineLater(name) }
            case .journal: if String(decoding: name, as: UTF8.self).hasSuffix(".ndjson") { arrivedBatch = true }
            default: break
            }
        }
        state.batchArrived = state.batchArrived || arrivedBatch
        return complete
    }

    private func quarantineLater(_ name: UnsafeBufferPointer<UInt8>) {
        quarantine(SpoolPath(.ready, String(decoding: name, as: UTF8.self)), reason: "the name is not <due-ns, 20 digits>-<key>")
    }

    /// Expands the batches no other process is expanding. The claim path does
    /// not wait for one that is busy: its expander publishes the tasks into
    /// ready/ and inotify brings them here.
    ///
    /// A failure (ENOSPC on a marker, EIO on syncfs) is logged and never stops
    /// claiming: the tasks already in ready/ are still claimed, and the
    /// expansion is tried again a second later. The batch stays durable.
    private func expandBatchesNotBusy(_ state: inout ClaimState, now instant: UInt64) {
        do {
            // A batch another process holds is its to publish; but if that
            // process dies or fails, no event says so: look again in a second.
            if try expander.expandAll(waiting: 0).busy > 0 {
                state.batchArrived = true
                state.expansionRetryAt = instant &+ Self.expansionRetryInterval
            }
        } catch {
            state.batchArrived = true
            state.expansionRetryAt = instant &+ Self.expansionRetryInterval
            options.log.warn("spool.expand_failed", ("queue", name.rawValue), ("error", "\(SpoolError.io("expand a batch", error))"),
                             ("effect", "the batch waits, durable; ready tasks are still claimed; retried in 1 s"))
        }
    }

    private func rebuild(_ state: inout ClaimState, now instant: UInt64) throws(SpoolError) {
        state.batchArrived = false
        expandBatchesNotBusy(&state, now: instant)
        let rejected = try spoolIO("scan queue \"\(name)\"") { () throws(SystemError) -> [String] in
            try state.index.rebuild { (body) throws(SystemError) in try folders.ready.forEachName(body) }
        }
        for name in rejected {
            quarantine(SpoolPath(.ready, name), reason: "the name is not <due-ns, 20 digits>-<key>")
        }
        // A bounded share of the spare trimming each time, so a claim never stalls long.
        _ = try? SpareFiles.trim(folders: folders, keeping: options.maximumSpareFiles, limit: 2000)
        state.lastScan = instant
    }
}

/// Runs a state transition, turning a refusal into a `SpoolError`.
func transition(_ body: () throws -> FileMove) throws(SpoolError) -> FileMove {
    do { return try body() } catch { throw SpoolError("\(error)") }
}
