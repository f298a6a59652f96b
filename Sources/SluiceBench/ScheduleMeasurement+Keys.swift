import SluiceConfig
import SluicePOSIX

/// The `keys` scenario: the same 3,000 Twilio tasks drained twice, by a
/// fresh sandbox and fleet each time, once with 3,000 distinct sending
/// numbers and once over 200, so the queue's rate binds in both. What it
/// compares is the workers' CPU per request: keyed cells, deferrals and
/// lookups must not make many keys expensive.
extension ScheduleMeasurement {
    /// One drain's figures.
    struct KeysDrain {
        let drainSeconds: Double
        let theoreticalSeconds: Double
        let cpu: CPUPerRequest
        /// Tasks given back to the spool because their number was busy (`sluice_limiter_key_deferrals_total`).
        let deferrals: Double?
        let timeline: StartTimeline
        let window: (worst: Int, allowed: Int)
        let dead: Int
        let stop: ExitStatus
    }

    func keys() throws -> ScheduleRun {
        let many = try withFleet { try keysDrain($0, numbers: ScheduleScenario.manyKeys) }
        let few = try withFleet { try keysDrain($0, numbers: ScheduleScenario.fewKeys) }
        var result = ScheduleRun()
        for (drain, numbers, prefix) in [(many, ScheduleScenario.manyKeys, "many"), (few, ScheduleScenario.fewKeys, "few")] {
            let keys = LimiterBenchReport.grouped(Double(numbers))
            result.record("\(prefix)_drain_s", "\(keys) numbers: drain, first request → last success", unit: "s", drain.drainSeconds)
            result.record("\(prefix)_drain_ratio", "\(keys) numbers: drain ÷ theoretical (\(ScheduleFigure.format(drain.theoreticalSeconds, unit: "s", places: 2)))",
                          unit: "×", places: 3, drain.theoreticalSeconds > 0 ? drain.drainSeconds / drain.theoreticalSeconds : nil)
            result.record("\(prefix)_cpu_s", "\(keys) numbers: workers' CPU", unit: "s", drain.cpu.workerSeconds)
            result.record("\(prefix)_cpu_us", "\(keys) numbers: workers' CPU per request", unit: "µs", places: 0, drain.cpu.microseconds)
            result.record("\(prefix)_deferrals", "\(keys) numbers: tasks given back for a busy number, per request", unit: "",
                          drain.deferrals.map { $0 / Double(max(drain.timeline.arrivals.count, 1)) })
            if drain.timeline.successes.count < scenario.tasks || drain.dead > 0 {
                result.problems.append("\(keys) numbers: \(scenario.tasks) tasks, \(drain.timeline.successes.count) succeeded at the sandbox, \(drain.dead) dead")
            }
            for status in [drain.stop] where status != .exited(0) { result.problems.append("\(keys) numbers: the fleet \(status) after SIGTERM") }
            if drain.window.worst > drain.window.allowed {
                result.problems.append("\(keys) numbers: \(scenario.limit): busiest window \(drain.window.worst) > \(drain.window.allowed) allowed")
            }
        }
        result.record("cpu_ratio", "CPU per request, 3,000 numbers ÷ 200 numbers", unit: "×", many.cpu.ratio(to: few.cpu))
        result.record("busiest_window", "busiest window of \(scenario.limit), per number (the sandbox allows \(many.window.allowed))",
                      unit: "", places: 0, combined: .max, Double(max(many.window.worst, few.window.worst)))
        let refused = many.timeline.rateLimited + few.timeline.rateLimited
        result.record("rate_limited", "429s", unit: "", places: 0, combined: .sum, Double(refused))
        if refused > 0 { result.problems.append("the sandbox answered \(refused) × 429") }
        return result
    }

    private func keysDrain(_ fleet: ScheduleFleet, numbers: Int) throws -> KeysDrain {
        let lines = scenario.taskLines(numbers: numbers)
        try fleet.enqueue(lines)
        guard let queue = try FleetConfig.load(path: fleet.configPath).queue(scenario.queue) else {
            throw BenchError("bench schedule: \(scenario.queue) missing from the fleet's config")
        }
        let theory = E2EDrainTheory(queue: queue, tasks: try E2EQueuePlan.providerTasks(lines: lines, queue: scenario.queue))
        _ = try fleet.start()
        try fleet.waitUntilDrained()
        let dead = try fleet.counts().dead
        let deferrals = try fleet.metric("sluice_limiter_key_deferrals_total")
        let stopped = try fleet.stop()
        let (timeline, _) = try fleet.arrivals()
        return KeysDrain(drainSeconds: timeline.drainSeconds, theoreticalSeconds: theory.seconds,
                         cpu: CPUPerRequest(workers: fleet.sampler.workers, requests: timeline.arrivals.count), deferrals: deferrals,
                         timeline: timeline, window: try fleet.busiestWindow(), dead: dead, stop: stopped.status)
    }
}
