import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool

/// One scenario's sandbox and fleet in a scratch directory, driven the way an
/// operator drives them: `sluice enqueue`, `sluice run` (again after a stop),
/// the admin API, SIGTERM, `kill -9` of a worker. What the provider saw is
/// read back from the sandbox's arrivals, with the instant they count from,
/// so the bench can place its own actions among them.
///
/// Requires: one fleet at a time; every process goes through `scratch`, so
/// its tear-down stops whatever is left.
final class ScheduleFleet {
    let executable: String
    let scratch: E2EScratch
    let scenario: ScheduleScenario
    let sandbox: E2ESandbox
    let configPath: String
    private(set) var supervisor: ChildProcess?
    /// The current fleet's workers, found in its log, with their latest /proc readings.
    private(set) var sampler: E2EWorkerSampler
    private var label = "fleet"
    private var starts = 0

    init(executable: String, scratch: E2EScratch, scenario: ScheduleScenario, seed: Int) throws {
        self.executable = executable
        self.scratch = scratch
        self.scenario = scenario
        sandbox = try E2ESandbox.start(executable: executable, scratch: scratch, configuration: scenario.sandboxConfiguration(seed: seed),
                                       label: "sandbox")
        configPath = scratch.file("fleet.json")
        sampler = E2EWorkerSampler(logPath: scratch.file("fleet.err"))
        let queues = [(name: scenario.queue, json: scenario.queueJSON(baseURL: sandbox.baseURL))]
        try E2EScenario.fleetConfiguration(fleet: scratch.fleet.rawValue, spool: scratch.file("spool"), queues: queues)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func enqueue(_ lines: [String]) throws {
        try scratch.enqueue(executable, queue: scenario.queue, lines: lines, configPath: configPath)
    }

    /// Spawns `sluice run` and waits until it has started a worker. Returns
    /// the instant (CLOCK_MONOTONIC ns) read just before the spawn.
    func start() throws -> UInt64 {
        starts += 1
        label = "fleet-\(starts)"
        var environment = ProcessInfo.processInfo.environment
        environment.merge(E2EFleetDrain.credentials) { _, bench in bench }
        let instant = MonotonicClock.now()
        note("start \(label)", at: instant)
        let process = try scratch.spawn(executable, ["run", "--config", configPath], label: label, environment: environment)
        supervisor = process
        sampler = E2EWorkerSampler(logPath: scratch.file("\(label).err"))
        let deadline = instant + 20_000_000_000
        while MonotonicClock.now() < deadline {
            sampler.sample()
            if !sampler.workers.isEmpty { return instant }
            try checkRunning()
            usleep(20_000)
        }
        throw BenchError("bench schedule: \(scenario.rawValue): the fleet started no worker within 20 s: \(scratch.errors(label).suffix(2000))")
    }

    /// SIGTERMs the fleet and reaps it; returns how it ended and how long that took, in seconds.
    func stop() throws -> (status: ExitStatus, seconds: Double) {
        guard let supervisor else { throw BenchError("bench schedule: \(scenario.rawValue): no fleet to stop") }
        sampler.sample()
        let sent = MonotonicClock.now()
        note("SIGTERM \(label)", at: sent)
        supervisor.send(SIGTERM)
        let status = try scratch.wait(supervisor)
        let exited = MonotonicClock.now()
        self.supervisor = nil
        return (status, Double(exited.subtractingSaturated(sent)) / 1e9)
    }

    /// Waits `seconds`, sampling the workers every 250 ms; throws if the fleet exits meanwhile.
    func hold(seconds: Double) throws {
        let until = MonotonicClock.now() + UInt64(seconds * 1e9)
        while true {
            sampler.sample()
            try checkRunning()
            let now = MonotonicClock.now()
            guard now < until else { return }
            usleep(UInt32(min(until - now, 250_000_000) / 1_000))
        }
    }

    /// Waits until the spool holds nothing for the queue (sampling meanwhile).
    func waitUntilDrained() throws {
        guard let supervisor else { throw BenchError("bench schedule: \(scenario.rawValue): no fleet running") }
        try scratch.waitUntilDrained([scenario.queue], supervisor: supervisor, label: label, sampler: &sampler,
                                     timeout: ScheduleScenario.drainTimeout)
    }

    /// One request to the running fleet's admin API; it must answer 200.
    func admin(_ method: String, _ path: String, body: String) throws {
        note("\(method) \(path) \(body)", at: MonotonicClock.now())
        let response = try control(method, path, body: body)
        guard response.status == 200 else {
            throw BenchError("bench schedule: \(scenario.rawValue): \(method) \(path) answered \(response.status): \(response.message)")
        }
    }

    /// The sum of every series of counter `name` on the running fleet's `/metrics`; nil if it has none.
    func metric(_ name: String) throws -> Double? {
        let response = try control("GET", "/metrics", body: "")
        guard response.status == 200 else { throw BenchError("bench schedule: /metrics answered \(response.status)") }
        return Self.sum(of: name, in: String(decoding: response.body, as: UTF8.self))
    }

    /// The sum of the samples of `name` (with any labels) in Prometheus's text format; nil if none.
    static func sum(of name: String, in exposition: String) -> Double? {
        let values = exposition.split(separator: "\n").compactMap { line -> Double? in
            guard line.hasPrefix(name), let next = line.dropFirst(name.count).first, next == "{" || next == " " else { return nil }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// One request to the running fleet's control plane, found through the
    /// spool's control.json as the CLI finds it.
    private func control(_ method: String, _ path: String, body: String) throws -> ControlClient.Response {
        guard let supervisor else { throw BenchError("bench schedule: \(scenario.rawValue): no fleet running") }
        var endpoint = ControlEndpoint.read(root: scratch.file("spool"))
        let deadline = MonotonicClock.now() + 5_000_000_000
        while endpoint?.pid != supervisor.pid, MonotonicClock.now() < deadline {
            usleep(20_000)
            endpoint = ControlEndpoint.read(root: scratch.file("spool"))
        }
        guard let endpoint, endpoint.pid == supervisor.pid else {
            throw BenchError("bench schedule: \(scenario.rawValue): the fleet wrote no control.json")
        }
        do {
            return try ControlClient(address: endpoint.connectAddress, token: nil).send(method, path, body: Array(body.utf8))
        } catch {
            throw BenchError("bench schedule: \(scenario.rawValue): \(method) \(path): \(error)")
        }
    }

    /// The current fleet's workers that are running now: started by it (its
    /// log), alive, and still its children.
    func runningWorkers() -> [pid_t] {
        guard let supervisor else { return [] }
        return sampler.workers.map(\.pid).filter { E2EProcessSample.isLiveChild($0, of: supervisor.pid) }
    }

    /// Notes the bench's own action at `instant` (CLOCK_MONOTONIC ns) in
    /// `actions.tsv`, beside the arrivals, for whoever keeps the directory.
    func note(_ action: String, at instant: UInt64) {
        guard scratch.keep, let file = fopen(scratch.file("actions.tsv"), "a") else { return }
        fputs("\(action)\t\(instant)\n", file)
        fclose(file)
    }

    /// What the sandbox saw of the scenario's endpoint, and the CLOCK_MONOTONIC
    /// instant (ns) its µs count from. With `--keep`, every endpoint's arrivals
    /// are saved as `arrivals.json` too.
    func arrivals() throws -> (timeline: StartTimeline, start: UInt64) {
        if scratch.keep { try sandbox.saveArrivals(to: scratch.file("arrivals.json")) }
        let document = try sandbox.arrivals()
        guard let start = document.integer(at: ["monotonicStart"]), let origin = UInt64(exactly: start),
              case .object(let endpoint)? = document.value(at: ["endpoints", scenario.endpoint]) else {
            throw BenchError("bench schedule: the sandbox's arrivals lack monotonicStart or \(scenario.endpoint)")
        }
        if let omitted = document.integer(at: ["omitted"]), omitted > 0 {
            throw BenchError("bench schedule: the sandbox omitted \(omitted) arrivals")
        }
        return (try StartTimeline(json: endpoint), origin)
    }

    /// The sandbox limit's busiest window and what it allows (`/__sandbox/stats`).
    func busiestWindow() throws -> (worst: Int, allowed: Int) {
        let stats = try sandbox.stats()
        return (stats.integer(at: ["limits", scenario.limit, "worstWindow"]) ?? 0, stats.integer(at: ["limits", scenario.limit, "allowed"]) ?? 0)
    }

    /// What the spool holds for the queue now.
    func counts() throws -> QueueCounts {
        try SpoolQueue(root: scratch.file("spool"), name: QueueName(validating: scenario.queue), create: false).counts()
    }

    private func checkRunning() throws {
        guard let supervisor, let status = try supervisor.pollExit() else { return }
        _ = try? scratch.wait(supervisor)
        self.supervisor = nil
        throw BenchError("bench schedule: \(scenario.rawValue): the fleet \(status): \(scratch.errors(label).suffix(2000))")
    }
}
