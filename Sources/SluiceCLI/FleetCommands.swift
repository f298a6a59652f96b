import Foundation
import Glibc
import SluiceConfig
import SluiceLimiter
import SluicePOSIX
import SluiceProviders
import SluiceSpool
import SluiceSupervisor
import SluiceWorker

/// `sluice run` and `sluice worker`: the fleet itself.
let fleetCommands: [Command] = [runCommand, workerCommand]

private let runCommand = Command(
    ["run"],
    summary: "Run the fleet: a supervisor and each queue's worker processes",
    usage: """
        sluice run --config FILE [--reset-shm]

          --config FILE   the fleet's configuration (see examples/sluice.json)
          --reset-shm     replace an existing shared-memory segment that is stale,
                          foreign or from another version (only when the fleet is stopped)

        SIGTERM or SIGINT drains gracefully (in-flight requests get shutdownTimeout);
        a second SIGINT stops at once. Exit codes: 0 stopped cleanly, 1 failed, 2 bad usage or config.
        """
) { arguments, terminal in
    // Block the signals before anything can start a thread (see SignalQueue).
    let signals = SignalQueue([SIGTERM, SIGINT, SIGCHLD, SIGHUP])
    guard let path = try arguments.option("--config") else { throw UsageError("--config FILE is required") }
    let reset = arguments.flag("--reset-shm")
    try arguments.finish()
    // The listener's connection cap is sized from this limit (workers inherit it).
    DescriptorLimit.raiseSoftLimit()
    let config = try loadChecked(path, terminal: terminal)
    let adminToken = try config.adminToken.map { source throws -> Secret in
        try source.resolve(environment: ProcessInfo.processInfo.environment, readFile: readSmallFile)
    }
    let environment = ProcessInfo.processInfo.environment
    let redisPassword = try config.coordinator?.credential.map { source throws -> Secret in
        try source.resolve(environment: environment, readFile: readSmallFile)
    }
    let identity = config.coordinator.map { HostIdentity.resolve(configured: $0.host, environment: environment, readFile: readSmallFile) }
    let supervisor = try Supervisor(
        config: config, configPath: absolute(path), executable: try CurrentProcess.executablePath(),
        resetSharedMemory: reset, adminToken: adminToken, coordinatorPassword: redisPassword, hostIdentity: identity,
        log: EventLog(component: "supervisor", minimum: config.logLevel)
    )
    return try supervisor.run(signals: signals)
}

private let workerCommand = Command(
    ["worker"],
    summary: "Run one worker process for one queue (the supervisor starts these)",
    usage: """
        sluice worker --config FILE --queue QUEUE[.N] [--parent PID]

          Claims the queue's tasks and sends them within its limits until SIGTERM,
          then drains. With --parent (as the supervisor starts it), it dies with
          that process and expects the segment to exist; without, it creates or
          attaches the segment itself and first frees what dead processes left
          (leases, slots): the worker-only mode of sluice-worker@QUEUE.N.service.
          ".N" only tells several units of one queue apart; it is ignored.
        """
) { arguments, terminal in
    // Block SIGTERM and SIGINT before anything can start a thread: every
    // thread inherits the mask, and the worker takes them synchronously, so
    // one arriving during start-up waits for it instead of being lost.
    let signals = SignalQueue([SIGTERM, SIGINT])
    guard let path = try arguments.option("--config"), let name = try arguments.option("--queue") else {
        throw UsageError("--config FILE and --queue QUEUE are required")
    }
    let parent = try arguments.option("--parent", as: { pid_t($0) }, expected: "a process id")
    try arguments.finish()
    if let parent { try CurrentProcess.dieWithParent(signal: SIGTERM, expectedParent: parent) }
    let config = try loadChecked(path, terminal: terminal)
    // `stripe-api.2` is a systemd instance name; queue names never hold a dot.
    let queueName = String(name.prefix { $0 != "." })
    guard let queue = config.queue(queueName) else {
        throw UsageError("--queue: \"\(name)\" is not a queue in \(path) (queues: \(config.queues.map(\.name.rawValue).joined(separator: ", ")))")
    }
    let credential = try queue.credential.map { source throws -> Secret in
        try source.resolve(environment: ProcessInfo.processInfo.environment, readFile: readSmallFile)
    }
    let coordinator = parent == nil ? try Coordinator.open(fleet: config.fleet, layout: config.segmentLayout) : try Coordinator.attach(fleet: config.fleet)
    // Supervised, the supervisor registered the queue; alone, register it if
    // no one has (never overwriting limits an operator changed at runtime).
    let existing = try? coordinator.queue(queue.name)
    let limiter = try existing ?? coordinator.register(queue: queue.name, limits: queue.limits)
    // The agent that reserves this host's share of the fleet's schedule runs
    // in `sluice run`, which marks the queue coordinated. A worker alone on a
    // queue it never marked would enforce this host's own cell: the full
    // rate on every host.
    if parent == nil, config.coordinator != nil, !limiter.isCoordinated {
        throw UsageError("\(path) has a coordinator block, and no `sluice run` on this host has made \(queue.name) coordinated: a worker alone would send at the full rate here, whatever the other hosts send; start `sluice run` (sluice.service) first, then extra workers")
    }
    let store = try SpoolQueue(root: config.spoolRoot ?? SpoolRoot.defaultPath(), name: queue.name, options: config.spoolOptions(for: queue))
    if parent == nil { try recoverUnsupervised(store, limiter, coordinator) }
    let worker = Worker(queue: queue, parts: Worker.Parts(
        store: store,
        limiter: limiter, provider: Providers.make(for: queue),
        executor: try HTTPExecutor(maximumConnections: queue.maxConcurrentPerWorker, requestTimeout: queue.requestTimeout,
                                   firstByteTimeout: queue.firstByteTimeout,
                               maximumResponseBytes: queue.maxResponseBytes),
        credential: credential,
        log: EventLog(component: "worker", context: [("queue", queue.name.rawValue), ("pid", "\(getpid())")], minimum: config.logLevel),
        faults: WorkerFaults(trapOnTaskID: ProcessInfo.processInfo.environment["SLUICE_TEST_TRAP_TASK"])
    ))
    let done = DispatchSemaphore(value: 0)
    Task {
        await worker.run(shutdownTimeout: config.shutdownTimeout) { signals.next(timeout: 0) != nil }
        done.signal()
    }
    done.wait()
    return ExitCode.success
}

/// Without a supervisor no one reaps a crashed worker, so each worker does at
/// start what the supervisor does on every reap: leases of dead processes go
/// back to ready, their slots and keyed claims are freed. A worker restarted
/// by systemd (`Restart=`) thus cleans up after the one it replaces.
private func recoverUnsupervised(_ store: SpoolQueue, _ limiter: QueueHandle, _ coordinator: Coordinator) throws {
    let log = EventLog(component: "worker", context: [("queue", store.name.rawValue), ("pid", "\(getpid())")])
    // Before the leases go back: a worker that died in provider code left its task in hand.
    for pid in limiter.deadProcessesWithTaskInHand() {
        PoisonTriage(spool: store, limiter: limiter, log: log).blame(deadWorker: pid, signal: nil)
    }
    // Nothing claimed yet, so leases with our own pid are a previous
    // incarnation's: a container restarts its worker as pid 1 again.
    let leases = try store.recover(includingOwnLeases: true).leasesReturned.count
    let slots = coordinator.reclaimDeadOwners()
    log.info("worker.recovered", ("leases_returned", "\(leases)"), ("slots_reclaimed", "\(slots)"))
}

/// Loads a config and checks its credentials; config errors exit with 2.
private func loadChecked(_ path: String, terminal: Terminal) throws -> FleetConfig {
    do {
        let config = try FleetConfig.load(path: path)
        try config.checkCredentials(environment: ProcessInfo.processInfo.environment, readFile: readSmallFile)
        return config
    } catch {
        throw UsageError("\(error)")
    }
}

@Sendable func readSmallFile(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

private func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
