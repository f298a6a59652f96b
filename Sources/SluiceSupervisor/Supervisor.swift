import Glibc
import SluiceCluster
import SluiceConfig
import SluiceControl
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
    /// What the loop shares with the control plane's handlers.
    let fleetState = FleetState()
    /// Restarts after a crash per queue, since start: a counter that never
    /// goes down, whatever happens to the workers that restarted.
    var restartsByQueue: [String: Int] = [:]
    let controlPlane: ControlPlane
    let systemd: SystemdSession?
    /// Several hosts: the agent reserving this host's instants from Redis
    /// (nil without a `coordinator` block: nothing touches Redis).
    let clusterAgent: ClusterAgent?

    /// Prepares everything a worker needs, before any is started: the
    /// segment (created or attached, limits written), each queue's spool
    /// (orphaned leases of dead processes back to ready).
    public init(config: FleetConfig, configPath: String, executable: String, resetSharedMemory: Bool,
                adminToken: Secret?, coordinatorPassword: Secret? = nil, hostIdentity: HostIdentity? = nil, log: EventLog) throws {
        self.config = config
        self.configPath = configPath
        self.executable = executable
        self.log = log
        systemd = SystemdSession.fromEnvironment(log: log)
        coordinator = try Coordinator.open(fleet: config.fleet, layout: config.segmentLayout, reset: resetSharedMemory)
        if coordinator.layout.keyedCapacity < config.segmentLayout.keyedCapacity {
            log.warn("fleet.keyed_table_small", ("cells", "\(coordinator.layout.keyedCapacity)"),
                     ("wanted", "\(config.segmentLayout.keyedCapacity)"),
                     ("fix", "the segment was made for an earlier configuration: stop the fleet and start it with --reset-shm"))
        }
        let root = config.spoolRoot ?? SpoolRoot.defaultPath()
        var spools: [String: SpoolQueue] = [:]
        var processes: [String: Int] = [:]
        for queue in config.queues {
            let spool = try SpoolQueue(root: root, name: queue.name, options: config.spoolOptions(for: queue))
            let overrides = try Self.runtimeOverrides(of: queue, root: root, log: log)
            try coordinator.register(queue: queue.name, limits: overrides.applied(to: queue.limits))
            processes[queue.name.rawValue] = overrides.processes?.processes ?? queue.processes
            // The supervisor never claims, so a lease named with its pid (a
            // reused pid) is a dead worker's too.
            let recovered = try spool.recover(includingOwnLeases: true)
            log.info("queue.prepared", ("queue", queue.name.rawValue), ("recovered_leases", "\(recovered.leasesReturned.count)"))
            spools[queue.name.rawValue] = spool
        }
        self.spools = spools
        // Before any worker starts: a worker of a queue not yet coordinated
        // would enforce this host's own cell alone.
        let freed = coordinator.reclaimDeadOwners()
        if freed > 0 { log.info("fleet.reclaimed", ("slots_of_dead_processes", "\(freed)")) }
        workers = config.queues.flatMap { queue in
            (0..<processes[queue.name.rawValue, default: queue.processes]).map {
                WorkerProcess(queue: queue.name.rawValue, ordinal: $0, state: .waiting(until: 0))
            }
        }
        // Several hosts: set-rate, pause and resume go to Redis and come from it.
        let runtime = config.coordinator == nil ? nil : RuntimeExchange()
        controlPlane = try ControlPlane(config: config, coordinator: coordinator, spools: spools,
                                        state: fleetState, adminToken: adminToken, log: log, runtime: runtime)
        // Before any worker starts (`run`): a worker of a queue not yet
        // coordinated would enforce this host's own cell alone.
        let segment = coordinator
        let queueHandles = try config.queues.map { try segment.queue($0.name) }
        if let cluster = config.coordinator {
            let identity = hostIdentity ?? HostIdentity.resolve(configured: cluster.host, environment: [:], readFile: { _ in nil })
            let plane = controlPlane
            clusterAgent = ClusterAgent(config: cluster, identity: identity, fleet: config.fleet, queues: queueHandles,
                                        password: coordinatorPassword, log: EventLog(component: "coordinator", minimum: config.logLevel),
                                        runtime: runtime, backlog: { plane.backlog(of: $0.rawValue)?.readyDue })
            fleetState.attachCoordinator(clusterAgent!.status)
        } else {
            clusterAgent = nil
            for queue in queueHandles where queue.isCoordinated { queue.setCoordinated(false) }
        }
    }

    /// The runtime changes saved for `queue` that still apply (see
    /// `RuntimeOverrides`); those the configuration has since replaced are
    /// dropped from the file, and said so.
    private static func runtimeOverrides(of queue: QueueConfig, root: String, log: EventLog) throws -> RuntimeOverrides {
        let saved = try RuntimeOverrides.load(root: root, queue: queue.name.rawValue)
        let (kept, dropped) = saved.applicable(to: queue)
        for sentence in dropped {
            log.warn("queue.runtime_change_dropped", ("queue", queue.name.rawValue), ("change", sentence),
                     ("reason", "the configuration changed since; it wins"))
        }
        if kept != saved { try kept.save(root: root, queue: queue.name.rawValue) }
        if kept != RuntimeOverrides() {
            log.info("queue.runtime_changes_applied", ("queue", queue.name.rawValue),
                     ("rate", kept.rate.map { "\($0.rate.text) burst \($0.burst)" } ?? "configured"),
                     ("paused", "\(kept.paused ?? false)"), ("processes", "\(kept.processes?.processes ?? queue.processes)"))
        }
        return kept
    }

    /// Runs until drained. Returns the exit code: 0 after a graceful stop,
    /// 130 after a second SIGINT.
    public func run(signals: SignalQueue) throws -> Int32 {
        clusterAgent?.start()
        defer { clusterAgent?.stop() }
        try controlPlane.start()
        defer { controlPlane.stop() }
        log.info("fleet.started", ("fleet", config.fleet.rawValue), ("workers", "\(workers.count)"))
        while true {
            fleetState.beat()
            if let signal = signals.next(timeout: 100_000_000), let code = handle(signal) { return code }
            reap()
            answerScaleRequests()
            if let draining {
                if workers.allSatisfy({ $0.pid == nil }) {
                    log.info("fleet.stopped")
                    return 0
                }
                if MonotonicClock.now() > draining.deadline { killStragglers() }
            } else {
                killOverdueRetirees()
                startDueWorkers()
            }
            fleetState.publish(workerTallies())
            notifySystemd()
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
        fleetState.beginDraining()
        // Workers get the shutdown timeout for requests in flight, and a little
        // more to settle and exit before the supervisor escalates.
        draining = (MonotonicClock.now() + config.shutdownTimeout + 3_000_000_000, 0)
        log.info("fleet.draining", ("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"),
                 ("timeout_s", "\(config.shutdownTimeout / 1_000_000_000)"))
        notifySystemdStopping()
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

extension FleetConfig {
    /// The spool options every process of the fleet opens `queue` with: the
    /// fleet's retentions, the queue's own `resultRetention` first.
    public func spoolOptions(for queue: QueueConfig) -> SpoolOptions {
        var options = SpoolOptions()
        options.doneRetention = doneRetention
        options.resultRetention = queue.resultRetention ?? resultRetention
        options.log = EventLog(component: "spool", minimum: logLevel)
        return options
    }
}
