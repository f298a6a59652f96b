import Glibc
import SluiceConfig
import SluicePOSIX

/// One run of one `bench schedule` scenario: the actions, at instants read
/// from CLOCK_MONOTONIC, then the figures, from the sandbox's arrivals with
/// those instants placed among them.
struct ScheduleMeasurement {
    let executable: String
    let scenario: ScheduleScenario
    let run: Int
    let bench: ScheduleBench
    let interrupts: E2EInterruptGuard
    let progress: (String) -> Void

    func measure() throws -> ScheduleRun {
        switch scenario {
        case .setRate: try withFleet(setRate)
        case .scaleDown: try withFleet(scaleDown)
        case .restart: try withFleet(restart)
        case .kill: try withFleet(killWorkers)
        case .keys: try keys()
        case .drops: try withFleet(drops)
        case .limit20x4, .limit20x16, .limit100, .limit1_5: try withFleet(atTheLimit)
        case .sharedBudget: try withFleet(sharedBudget)
        }
    }

    /// A sandbox and fleet of the scenario's in a scratch directory of their own, torn down after `body`.
    func withFleet<T>(_ body: (ScheduleFleet) throws -> T) throws -> T {
        try bench.withScratch(interrupts: interrupts, progress: progress) { scratch in
            try body(try ScheduleFleet(executable: executable, scratch: scratch, scenario: scenario, seed: run))
        }
    }

    private var horizon: UInt64 { UInt64(scenario.horizon * 1e6) }

    private func setRate(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        let phases = ScheduleScenario.setRatePhases
        let path = "/v1/queues/\(scenario.queue)/rate"
        try fleet.enqueue(scenario.taskLines())
        let started = try fleet.start()
        try fleet.hold(seconds: phases.before)
        let down = MonotonicClock.now()
        try fleet.admin("PUT", path, body: #"{"rate": "1/s"}"#)
        try fleet.hold(seconds: phases.slow)
        let up = MonotonicClock.now()
        try fleet.admin("PUT", path, body: #"{"rate": "50/s"}"#)
        try fleet.hold(seconds: phases.after)
        let end = MonotonicClock.now()
        let stopped = try fleet.stop()
        let (timeline, origin) = try fleet.arrivals()
        let at = { StartTimeline.offset(of: $0, since: origin) }
        let first = timeline.firstArrival(atOrAfter: at(started)) ?? at(down)
        var result = ScheduleRun()
        result.record("rate_before", "achieved at 50/s (first request → set-rate 1/s)", unit: "/s", places: 1, timeline.rate(from: first, to: at(down)))
        result.record("rate_slow", "achieved at 1/s (\(Int(phases.slow)) s)", unit: "/s", timeline.rate(from: at(down), to: at(up)))
        result.record("slow_after_horizon", "requests at 1/s once the horizon (\(scenario.horizon) s) had passed", unit: "", places: 0,
                      Double(timeline.count(from: at(down) + horizon, to: at(up))))
        result.record("rate_restored", "achieved in the \(Int(phases.after)) s after set-rate 50/s", unit: "/s", places: 1,
                      timeline.rate(from: at(up), to: at(end)))
        result.record("recovery_s", "set-rate 50/s → back at ≥ 95% of 50/s", unit: "s", timeline.recoverySeconds(after: at(up), rate: 50))
        try check(fleet, timeline, stops: [stopped.status], into: &result)
        return result
    }

    private func scaleDown(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        let phases = ScheduleScenario.scaleDownPhases
        try fleet.enqueue(scenario.taskLines())
        let started = try fleet.start()
        try fleet.hold(seconds: phases.before)
        let scaled = MonotonicClock.now()
        try fleet.admin("PUT", "/v1/queues/\(scenario.queue)/processes", body: #"{"processes": 1}"#)
        try fleet.hold(seconds: phases.after)
        let end = MonotonicClock.now()
        let workersLeft = fleet.runningWorkers().count
        let stopped = try fleet.stop()
        let (timeline, origin) = try fleet.arrivals()
        let at = { StartTimeline.offset(of: $0, since: origin) }
        let first = timeline.firstArrival(atOrAfter: at(started)) ?? at(scaled)
        var result = ScheduleRun()
        result.record("rate_before", "achieved with 8 workers (first request → scale)", unit: "/s", timeline.rate(from: first, to: at(scaled)))
        result.record("rate_after", "achieved in the \(Int(phases.after)) s after scaling to 1", unit: "/s", timeline.rate(from: at(scaled), to: at(end)))
        result.record("recovery_s", "scale to 1 → back at ≥ 95% of 5/s", unit: "s", timeline.recoverySeconds(after: at(scaled), rate: scenario.rate))
        result.record("workers_left", "workers running at the end", unit: "", places: 0, Double(workersLeft))
        try check(fleet, timeline, stops: [stopped.status], into: &result)
        return result
    }

    private func restart(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        let phases = ScheduleScenario.restartPhases
        try fleet.enqueue(scenario.taskLines())
        _ = try fleet.start()
        try fleet.hold(seconds: phases.before)
        let old = try fleet.stop()
        let restarted = try fleet.start()
        try fleet.hold(seconds: phases.after)
        let end = MonotonicClock.now()
        let new = try fleet.stop()
        let (timeline, origin) = try fleet.arrivals()
        let at = { StartTimeline.offset(of: $0, since: origin) }
        let first = timeline.firstArrival(atOrAfter: at(restarted))
        var result = ScheduleRun()
        result.record("stop_s", "SIGTERM → the old fleet exited", unit: "s", old.seconds)
        result.record("first_arrival_s", "new fleet spawned → its first request", unit: "s", first.map { Double($0 - at(restarted)) / 1e6 })
        result.record("recovery_s", "new fleet spawned → back at ≥ 95% of 5/s", unit: "s",
                      timeline.recoverySeconds(after: at(restarted), rate: scenario.rate))
        result.record("rate_after", "achieved in the \(Int(phases.after)) s after the new fleet spawned", unit: "/s",
                      timeline.rate(from: at(restarted), to: at(end)))
        try check(fleet, timeline, stops: [old.status, new.status], into: &result)
        return result
    }

    private func killWorkers(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        let phases = ScheduleScenario.killPhases
        try fleet.enqueue(scenario.taskLines())
        _ = try fleet.start()
        try fleet.hold(seconds: phases.before)
        let from = MonotonicClock.now()
        var kills = 0
        for _ in 0..<phases.kills {
            if let victim = fleet.runningWorkers().randomElement(), Glibc.kill(victim, SIGKILL) == 0 {
                kills += 1
                fleet.note("SIGKILL \(victim)", at: MonotonicClock.now())
            }
            try fleet.hold(seconds: phases.every)
        }
        let to = MonotonicClock.now()
        let stopped = try fleet.stop()
        let (timeline, origin) = try fleet.arrivals()
        let achieved = timeline.rate(from: StartTimeline.offset(of: from, since: origin), to: StartTimeline.offset(of: to, since: origin))
        var result = ScheduleRun()
        result.record("achieved_rate", "achieved over the \(phases.kills) kills (\(Int(Double(phases.kills) * phases.every)) s)", unit: "/s", achieved)
        result.record("achieved_percent", "… as a share of the rate", unit: "%", places: 0, achieved / scenario.rate * 100)
        if kills < phases.kills { result.problems.append("found a worker to kill \(kills) times of \(phases.kills)") }
        try check(fleet, timeline, stops: [stopped.status], into: &result)
        return result
    }

    private func drops(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        try fleet.enqueue(scenario.taskLines())
        _ = try fleet.start()
        try fleet.waitUntilDrained()
        let counts = try fleet.counts()
        let stopped = try fleet.stop()
        let (timeline, _) = try fleet.arrivals()
        let dropped = timeline.dropped
        var result = ScheduleRun()
        result.record("dropped", "connections dropped", unit: "", places: 0, Double(dropped))
        result.record("requests", "requests for \(scenario.tasks) tasks", unit: "", places: 0, Double(timeline.arrivals.count))
        result.record("extra_per_drop", "extra requests per drop", unit: "", dropped > 0 ? Double(timeline.arrivals.count - scenario.tasks) / Double(dropped) : nil)
        result.record("longest_gap_s", "longest gap between answers", unit: "s", timeline.longestGapBetweenAnswers)
        let theory = ScheduleFigure.format(Double(scenario.tasks - 1) / scenario.rate, unit: "s", places: 2)
        result.record("drain_s", "drain, first request → last success (without drops: \(theory))", unit: "s", timeline.drainSeconds)
        if timeline.successes.count < scenario.tasks || counts.dead > 0 {
            result.problems.append("\(scenario.tasks) tasks, \(timeline.successes.count) succeeded at the sandbox, \(counts.dead) dead")
        }
        try check(fleet, timeline, stops: [stopped.status], into: &result)
        return result
    }

    /// Drains the backlog at the provider's own number: what it achieved, and
    /// the 429s after the first 10 s (the learning's start) per 1,000 requests.
    private func atTheLimit(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        try fleet.enqueue(scenario.taskLines())
        _ = try fleet.start()
        try fleet.waitUntilDrained()
        let stopped = try fleet.stop()
        let (timeline, _) = try fleet.arrivals()
        let instants = timeline.arrivals  // µs, sorted
        var result = ScheduleRun()
        if let first = instants.first, let last = instants.last, last > first {
            let achieved = Double(instants.count - 1) * 1e6 / Double(last - first)
            result.record("achieved", "achieved, first request → last", unit: "/s", places: 2, achieved)
            result.record("achieved_percent", "… as a share of the provider's number", unit: "%", places: 1, achieved / scenario.rate * 100)
            let settled = first + 10_000_000
            let late = zip(instants, timeline.statuses).filter { $0.0 >= settled }
            let refused = late.filter { $0.1 == 429 }.count
            result.record("late_429_per_1000", "429s per 1,000 requests after the first 10 s", unit: "", places: 1,
                          late.isEmpty ? 0 : Double(refused) * 1000 / Double(late.count))
        }
        try check(fleet, timeline, stops: [stopped.status], into: &result)
        return result
    }

    /// At the provider's own number while another client spends 30% of it,
    /// then alone: what the queue learnt (accepted per second from 30 s into
    /// the shared phase to its end, against the 14/s left to it: the learning
    /// is a sawtooth some 30 s long, so a shorter span samples its phase), the 429s that
    /// taught it (as a share of its requests), and how long after the other
    /// client stopped it was back at 95% of the number.
    private func sharedBudget(_ fleet: ScheduleFleet) throws -> ScheduleRun {
        let phases = ScheduleScenario.sharedBudgetPhases
        try fleet.enqueue(scenario.taskLines())
        try fleet.sandbox.setFaults(#"{"sharedBudget": {"endpoint": "\#(scenario.endpoint)", "share": \#(phases.share), "until": "\#(Int(phases.shared))s"}}"#)
        let sharedFrom = MonotonicClock.now()
        _ = try fleet.start()
        let sharedUntil = sharedFrom + UInt64(phases.shared * 1e9)
        try fleet.hold(seconds: Double(sharedUntil - MonotonicClock.now()) / 1e9 + phases.after)
        let stopped = try fleet.stop()
        let (timeline, origin) = try fleet.arrivals()
        let at = { StartTimeline.offset(of: $0, since: origin) }
        let left = scenario.rate * (1 - phases.share)
        let accepted = { (from: UInt64, to: UInt64) in
            zip(timeline.arrivals, timeline.statuses).filter { $0.0 >= from && $0.0 < to && (200..<300).contains($0.1) }.count
        }
        let learntFrom = at(sharedFrom + UInt64(phases.learning * 1e9))
        let learnt = Double(accepted(learntFrom, at(sharedUntil))) / (phases.shared - phases.learning)
        var result = ScheduleRun()
        result.record("shared_rate", "accepted from \(Int(phases.learning)) s to \(Int(phases.shared)) s of the shared budget", unit: "/s", places: 2, learnt)
        result.record("shared_percent", "… as a share of the \(ScheduleFigure.format(left, unit: "/s", places: 0)) the other client left",
                      unit: "%", places: 1, learnt / left * 100)
        let requests = timeline.arrivals.count
        result.record("rate_limited_percent", "429s as a share of requests (\(requests) in the run)", unit: "%", places: 2,
                      requests > 0 ? Double(timeline.rateLimited) * 100 / Double(requests) : nil)
        result.record("rate_limited", "429s", unit: "", places: 0, combined: .sum, Double(timeline.rateLimited))
        result.record("recovery_s", "back at 95% of 20/s after the other client stopped", unit: "s",
                      timeline.recoverySeconds(after: at(sharedUntil), rate: scenario.rate))
        let window = try fleet.busiestWindow()
        result.record("busiest_window", "busiest window of \(scenario.limit) (the sandbox allows \(window.allowed); the other client's requests included)",
                      unit: "", places: 0, combined: .max, Double(window.worst))
        if stopped.status != .exited(0) { result.problems.append("the fleet \(stopped.status) after SIGTERM") }
        return result
    }

    /// Figures every scenario gives, and its problems: the busiest window of
    /// the sandbox's limit (worst run), 429s (summed), and the fleet's exits.
    func check(_ fleet: ScheduleFleet, _ timeline: StartTimeline, stops: [ExitStatus], into result: inout ScheduleRun) throws {
        let window = try fleet.busiestWindow()
        result.record("busiest_window", "busiest window of \(scenario.limit) (the sandbox allows \(window.allowed))", unit: "", places: 0,
                      combined: .max, Double(window.worst))
        result.record("rate_limited", "429s", unit: "", places: 0, combined: .sum, Double(timeline.rateLimited))
        if window.worst > window.allowed { result.problems.append("\(scenario.limit): busiest window \(window.worst) > \(window.allowed) allowed") }
        if timeline.rateLimited > 0 { result.problems.append("the sandbox answered \(timeline.rateLimited) × 429") }
        for status in stops where status != .exited(0) { result.problems.append("the fleet \(status) after SIGTERM") }
    }
}
