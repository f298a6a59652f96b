import Foundation
import Glibc
import SluiceConfig
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceProviders
import SluiceSpool

/// One fleet drain: a sandbox, a backlog enqueued with `sluice enqueue`,
/// `sluice run` started on it and left until every queue is empty, then
/// stopped with SIGTERM. Everything is real processes on 127.0.0.1.
///
/// The fleet's CPU time is exact: `getrusage(RUSAGE_CHILDREN)` around the
/// reaping of the supervisor counts it and every worker it reaped. Peak
/// RSS and per-queue CPU come from /proc samples of each worker while it runs.
struct E2EFleetDrain {
    let executable: String
    let scenario: E2EScenario
    let scratch: E2EScratch
    let progress: (String) -> Void
    /// Where to save the sandbox's arrivals after the drain (`sluice bench report` charts them); nil: nowhere.
    var arrivalsFile: String? = nil

    static let credentials = ["SENDGRID_API_KEY": "SG.bench", "STRIPE_API_KEY": "sk_test_bench", "OPENAI_API_KEY": "sk-bench",
                              "TWILIO_AUTH_TOKEN": "bench"]

    func run() throws -> E2EDrainReport {
        let sandbox = try E2ESandbox.start(executable: executable, scratch: scratch, configuration: E2EScenario.sandboxConfiguration,
                                           label: "drain-sandbox")
        let configPath = scratch.file("fleet.json")
        try scenario.fleetConfiguration(fleet: scratch.fleet.rawValue, spool: scratch.file("spool"), baseURL: sandbox.baseURL)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try FleetConfig.load(path: configPath)
        var theories: [String: E2EDrainTheory] = [:]
        for plan in scenario.queues {
            guard let queue = config.queue(plan.name) else { throw BenchError("bench e2e: \(plan.name) missing from the fleet's config") }
            try scratch.enqueue(executable, queue: plan.name, lines: (0..<plan.tasks).map(plan.taskLine), configPath: configPath)
            theories[plan.name] = E2EDrainTheory(queue: queue, tasks: try plan.providerTasks())
        }
        let slowest = theories.values.map(\.seconds).max() ?? 0
        progress("draining \(scenario.queues.map(\.tasks).reduce(0, +)) tasks; the slowest queue needs \(String(format: "%.1f", slowest)) s")

        var environment = ProcessInfo.processInfo.environment
        environment.merge(Self.credentials) { _, bench in bench }
        let before = Self.childrenCPUSeconds()
        let startedAt = Date().timeIntervalSince1970
        let supervisor = try scratch.spawn(executable, ["run", "--config", configPath], label: "fleet", environment: environment)
        var sampler = E2EWorkerSampler(logPath: scratch.file("fleet.err"))
        try scratch.waitUntilDrained(scenario.queues.map(\.name), supervisor: supervisor, label: "fleet", sampler: &sampler,
                                     timeout: slowest * 1.5 + 60)
        sampler.sample()
        let supervisorSample = E2EProcessSample.read(supervisor.pid)
        supervisor.send(SIGTERM)
        let status = try scratch.wait(supervisor)
        let fleetCPU = Self.childrenCPUSeconds() - before
        let stats = try sandbox.stats()
        if let arrivalsFile { try sandbox.saveArrivals(to: arrivalsFile) }
        let sandboxCPU = try sandbox.stop(scratch: scratch)

        var report = E2EDrainReport(fleetExit: "\(status)", fleetCPUSeconds: fleetCPU, sandboxCPUSeconds: sandboxCPU,
                                    supervisorPeakRSSKB: supervisorSample?.peakResidentKB ?? 0, workers: sampler.workers)
        let events = Self.events(scratch.file("fleet.err"))
        for plan in scenario.queues {
            guard let theory = theories[plan.name] else { continue }
            report.queues.append(try queueReport(plan, theory: theory, config: config, events: events, stats: stats,
                                                 startedAt: startedAt, sampler: sampler))
        }
        report.summarise(startedAt: startedAt, events: events)
        return report
    }

    /// Every event of the fleet's log.
    static func events(_ path: String) -> [LoggedEvent] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap(LoggedEvent.init)
    }

    /// User + system CPU seconds of every child this process has reaped (getrusage(2)).
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
