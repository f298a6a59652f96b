import SluiceConfig
import SluiceCore
import SluiceJSON
import SluiceProviders
import SluiceSpool
import SluicePOSIX

extension E2EFleetDrain {
    /// One queue's figures from the log, the sandbox's stats and the spool.
    func queueReport(_ plan: E2EQueuePlan, theory: E2EDrainTheory, config: FleetConfig, events: [LoggedEvent],
                     stats: JSONObject, startedAt: Double, sampler: E2EWorkerSampler) throws -> E2EQueueDrain {
        let mine = events.filter { $0.fields["queue"] == plan.name && $0.fields["component"] == "worker" }
        let done = mine.filter { $0.name == "task.done" }
        let firstSend = done.map { $0.time - (Double($0.fields["ms"] ?? "") ?? 0) / 1000 }.min() ?? startedAt
        let lastDone = done.map(\.time).max() ?? startedAt
        let counts = try SpoolQueue(root: scratch.file("spool"), name: QueueName(validating: plan.name), create: false).counts()
        let drain = lastDone - firstSend
        return E2EQueueDrain(
            name: plan.name, processes: config.queue(plan.name)?.processes ?? 0, tasks: plan.tasks, completed: done.count,
            succeededAtSandbox: (stats.integer(at: ["endpoints", plan.endpoint, "successes"]) ?? 0), dead: counts.dead,
            left: counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled,
            retries: mine.filter { $0.name == "task.retry" }.count,
            ratePerSecond: config.queue(plan.name)?.rate.perSecond ?? 0, binding: theory.binding,
            theoreticalSeconds: theory.seconds, drainSeconds: drain, ratio: theory.seconds > 0 ? drain / theory.seconds : 0,
            firstSendSeconds: firstSend - startedAt,
            rateLimited: (stats.integer(at: ["endpoints", plan.endpoint, "rateLimited"]) ?? 0),
            duplicates: (stats.integer(at: ["endpoints", plan.endpoint, "duplicates"]) ?? 0),
            limits: plan.sandboxLimits.map {
                E2ELimitWindow(name: $0, worstWindow: (stats.integer(at: ["limits", $0, "worstWindow"]) ?? 0), allowed: (stats.integer(at: ["limits", $0, "allowed"]) ?? 0))
            },
            cpuSeconds: sampler.workers.filter { $0.queue == plan.name }.reduce(0) { $0 + $1.cpuSeconds }
        )
    }
}

extension E2EQueuePlan {
    /// The tasks as the worker's provider sees them (for the theoretical drain).
    func providerTasks() throws -> [ProviderTask] {
        try Self.providerTasks(lines: (0..<tasks).map(taskLine), queue: name)
    }

    /// NDJSON task lines for `queue` as the worker's provider sees them.
    static func providerTasks(lines: [String], queue: String) throws -> [ProviderTask] {
        try lines.enumerated().map { index, line in
            guard case .object(let task) = try JSONParser.parse(Array(line.utf8)),
                  case .string(let kind)? = task["kind"], case .object(let payload)? = task["payload"] else {
                throw BenchError("bench: task line \(index) of \(queue) is not a task")
            }
            return ProviderTask(id: "\(queue)-\(index)", kind: kind, payload: payload)
        }
    }
}
