import Glibc
import SluicePOSIX

extension Supervisor {
    /// Starts every worker whose start instant has come.
    func startDueWorkers() {
        let now = MonotonicClock.now()
        for index in workers.indices {
            guard case .waiting(let until) = workers[index].state, until <= now else { continue }
            let worker = workers[index]
            do {
                let child = try ChildProcess.spawn(executable: executable, arguments: [
                    "worker", "--config", configPath, "--queue", worker.queue, "--parent", "\(getpid())",
                ])
                workers[index].state = .running(pid: child.pid, since: now)
                log.info("worker.started", ("queue", worker.queue), ("pid", "\(child.pid)"), ("ordinal", "\(worker.ordinal)"))
            } catch {
                log.error("worker.spawn_failed", ("queue", worker.queue), ("error", "\(error)"))
                _ = workers[index].exited(at: now, policy: restartPolicy)
            }
        }
    }

    /// Reaps every child that has exited, frees what it held, and plans its restart.
    func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            childExited(pid, status: ChildProcessStatus.decode(status))
        }
    }

    /// Blocks until every child has been reaped (after SIGKILL).
    func reapAll() {
        while workers.contains(where: { $0.pid != nil }) {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 { return }
            childExited(pid, status: ChildProcessStatus.decode(status))
        }
    }

    private func childExited(_ pid: pid_t, status: ExitStatus) {
        guard let index = workers.firstIndex(where: { $0.pid == pid }) else { return }
        let queue = workers[index].queue
        // Before its leases go back: the task it was running provider code for, if a signal killed it there.
        let blamed = blameTaskInHand(ofDeadWorker: pid, queue: queue, status: status)
        // The process is gone: its slots, keyed claims and leases are free.
        let slots = coordinator.reclaim(deadPID: pid) + coordinator.reclaimDeadOwners()
        // Not including our own pid: the ingest API writes into these very
        // queues from this process, and its files are live.
        let leases = (try? spools[queue]?.recover(includingOwnLeases: false))?.leasesReturned.count ?? 0
        log.info("worker.exited", ("queue", queue), ("pid", "\(pid)"), ("status", "\(status)"),
                 ("slots_reclaimed", "\(slots)"), ("leases_returned", "\(leases)"))
        if workers[index].retiring {
            workers.remove(at: index)
            return
        }
        if draining != nil {
            workers[index].state = .stopped
            return
        }
        if let delay = workers[index].exited(at: MonotonicClock.now(), policy: restartPolicy, status: status, blamed: blamed) {
            restartsByQueue[queue, default: 0] += 1
            log.warn("worker.restarting", ("queue", queue), ("in_ms", "\(delay / 1_000_000)"), ("restarts", "\(workers[index].restarts)"))
        } else {
            log.error("worker.crash_loop", ("queue", queue), ("ordinal", "\(workers[index].ordinal)"),
                      ("action", "not restarting; fix the cause and restart the fleet"))
        }
    }

    /// See `PoisonTriage`. A worker that exited on its own had nothing in
    /// hand to blame; its entry is freed all the same.
    private func blameTaskInHand(ofDeadWorker pid: pid_t, queue: String, status: ExitStatus) -> Bool {
        guard let spool = spools[queue], let limiter = try? coordinator.queue(spool.name) else { return false }
        guard case .signaled(let signal) = status else {
            _ = limiter.takeTaskInHand(ofDeadProcess: pid)
            return false
        }
        return PoisonTriage(spool: spool, limiter: limiter, log: log.with([("queue", queue)])).blame(deadWorker: pid, signal: signal)
    }
}
