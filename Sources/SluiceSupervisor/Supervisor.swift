import Glibc
import SluiceConfig
import SluiceLimiter
import SluicePOSIX
import SluiceSpool

/// `sluice run`: prepares the shared segment and the spool, runs each
/// queue's worker processes, restarts them when they crash, and drains
/// them on SIGTERM/SIGINT.
///
/// Single-threaded by design: signals are read synchronously
/// (`SignalQueue`), children reaped with `waitpid(-1, WNOHANG)`, in one loop.
public final class Supervisor {
    let config: FleetConfig
    let configPath: String
    let executable: String
    let log: EventLog
    let coordinator: Coordinator
    let spools: [String: SpoolQueue]
    var workers: [WorkerProcess] = []
    var restartPolicy = RestartPolicy()
    var draining: (deadline: UInt64, interrupts: Int)?

    /// Prepares everything a worker needs, before any is started: the
    /// segment (created or attached, limits written), each queue's spool
    /// (orphaned leases of dead processes back to ready).
    public init(config: FleetConfig, configPath: String, executable: String, resetSharedMemory: Bool, log: EventLog) throws {
        self.config = config
        self.configPath = configPath
        self.executable = executable
        self.log = log
        coordinator = try Coordinator.open(fleet: config.fleet, reset: resetSharedMemory)
        let root = config.spoolRoot ?? SpoolRoot.defaultPath()
        var spools: [String: SpoolQueue] = [:]
        for queue in config.queues {
            try coordinator.register(queue: queue.name, limits: queue.limits)
            let spool = try SpoolQueue(root: root, name: queue.name)
            // The supervisor never claims, so a lease named with its pid (a
            // reused pid) is a dead worker's too.
            let recovered = try spool.recover(includingOwnLeases: true)
            log.info("queue.prepared", ("queue", queue.name.rawValue), ("recovered_leases", "\(recovered.leasesReturned.count)"))
            spools[queue.name.rawValue] = spool
        }
        self.spools = spools
        let freed = coordinator.reclaimDeadOwners()
        if freed > 0 { log.info("fleet.reclaimed", ("slots_of_dead_processes", "\(freed)")) }
        workers = config.queues.flatMap { queue in
            (0..<queue.processes).map { WorkerProcess(queue: queue.name.rawValue, ordinal: $0, state: .waiting(until: 0)) }
        }
    }

    /// Runs until drained. Returns the exit code: 0 after a graceful stop,
    /// 130 after a second SIGINT.
    public func run(signals: SignalQueue) -> Int32 {
        log.info("fleet.started", ("fleet", config.fleet.rawValue), ("workers", "\(workers.count)"))
        while true {
            if let signal = signals.next(timeout: 100_000_000), let code = handle(signal) { return code }
            reap()
            if let draining {
                if workers.allSatisfy({ $0.pid == nil }) {
                    log.info("fleet.stopped")
                    return 0
                }
                if MonotonicClock.now() > draining.deadline { killStragglers() }
            } else {
                startDueWorkers()
            }
        }
    }

    /// Reacts to a signal; returns an exit code when the process must end now.
    private func handle(_ signal: Int32) -> Int32? {
        switch signal {
        case SIGTERM, SIGINT:
            if let current = draining {
                guard signal == SIGINT else { return nil }
                draining = (current.deadline, current.interrupts + 1)
                log.warn("fleet.interrupted_twice", ("action", "SIGKILL every worker"))
                killStragglers()
                reapAll()
                return 130
            }
            beginDrain(signal: signal)
        default:
            break // SIGCHLD: reaped below; SIGHUP: nothing to reload yet.
        }
        return nil
    }

    private func beginDrain(signal: Int32) {
        // Workers get the shutdown timeout for requests in flight, and a little
        // more to settle and exit before the supervisor escalates.
        draining = (MonotonicClock.now() + config.shutdownTimeout + 3_000_000_000, 0)
        log.info("fleet.draining", ("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"),
                 ("timeout_s", "\(config.shutdownTimeout / 1_000_000_000)"))
        for index in workers.indices {
            switch workers[index].state {
            case .running(let pid, _):
                kill(pid, SIGTERM)
                workers[index].state = .stopping(pid: pid)
            case .waiting, .gaveUp:
                workers[index].state = .stopped
            case .stopping, .stopped:
                break
            }
        }
    }

    private func killStragglers() {
        for worker in workers {
            if let pid = worker.pid {
                log.warn("worker.killed", ("queue", worker.queue), ("pid", "\(pid)"), ("reason", "shutdown timeout"))
                kill(pid, SIGKILL)
            }
        }
    }
}
