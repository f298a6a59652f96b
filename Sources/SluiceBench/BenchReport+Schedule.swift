import SluiceJSON

/// The schedule-under-change section of REPORT.md, from `bench schedule --json`.
extension BenchReport {
    func scheduleSection() -> [String] {
        var lines = ["## 5. The schedule under change (`sluice bench schedule`)", ""]
        guard let schedule = inputs.schedule else { return lines + ["Not measured in this run.", ""] }
        let runs = schedule.integer(at: ["runs"]) ?? 1
        lines += [
            "Issue 19's scenarios, each against a fresh `sluice sandbox` and a real fleet of one queue on 127.0.0.1, the sandbox's limits"
                + " above the queue's rate (Stripe 100/s, Twilio 1/s per number). The bench acts on the fleet as an operator would (the admin"
                + " API, SIGTERM, `kill -9`) and reads every figure from what the sandbox saw (`GET /__sandbox/arrivals`), its own actions"
                + " placed among the arrivals by the sandbox's `monotonicStart`. *Back at ≥ 95%*: from the action to the first request"
                + " from which the next second's worth of requests (at least 10) came at 95% of the rate or faster. *CPU per request*:"
                + " utime + stime of every worker (`/proc/<pid>/stat`, the last reading before the stop) over the requests the sandbox saw."
                + " Medians of \(runs) run(s), round by round; busiest windows the worst run, 429s summed. Command: \(command("schedule")).", "",
            "| scenario | figure | median | runs |", "|---|---|---:|---|",
        ]
        let scenarios = schedule.objects("scenarios")
        for scenario in scenarios {
            let name = scenario.string(at: ["name"]) ?? "?"
            for (index, figure) in scenario.objects("figures").enumerated() {
                let unit = figure.string(at: ["unit"]) ?? ""
                let places = figure.integer(at: ["places"]) ?? 2
                let each = Self.numbers(figure["runs"]).map { ScheduleFigure.format($0, unit: unit, places: places) }
                let first = index == 0 ? "**\(name)**: \(scenario.string(at: ["title"]) ?? "")" : ""
                lines.append("| \(first) | \(figure.string(at: ["label"]) ?? "?") | \(ScheduleFigure.format(figure.double("value"), unit: unit, places: places)) | "
                             + "\(each.joined(separator: " · ")) |")
            }
        }
        lines += ["", "What each scenario did:", ""]
        lines += scenarios.map { "- **\($0.string(at: ["name"]) ?? "?")**: \($0.string(at: ["setup"]) ?? "")." }
        lines += ["", "Issue 19's targets, on the medians:", "", "| scenario | target | figure | |", "|---|---|---:|---|"]
        for scenario in scenarios {
            for target in scenario.objects("targets") {
                lines.append("| \(scenario.string(at: ["name"]) ?? "?") | \(target.string(at: ["name"]) ?? "?") | \(target.string(at: ["value"]) ?? "?") | "
                             + "\(target.bool(at: ["met"]) == true ? "met" : "**missed**") |")
            }
        }
        let problems = scheduleProblems()
        if !problems.isEmpty {
            lines += ["", "**Problems found by this run** (`bench schedule` exits 1 on any of them):", ""] + problems.map { "- \($0)" }
        }
        return lines + [""]
    }

    /// The headline: how many targets held, and what went wrong.
    func scheduleHeadline() -> String? {
        guard let schedule = inputs.schedule else { return nil }
        let scenarios = schedule.objects("scenarios")
        let targets = scenarios.flatMap { scenario in scenario.objects("targets").map { (scenario.string(at: ["name"]) ?? "?", $0) } }
        let missed = targets.filter { $0.1.bool(at: ["met"]) != true }
            .map { "\($0.0): \($0.1.string(at: ["name"]) ?? "?") (\($0.1.string(at: ["value"]) ?? "?"))" }
        let problems = scheduleProblems()
        return "- **Schedule under change** (\(scenarios.count) scenarios, medians of \(schedule.integer(at: ["runs"]) ?? 1) runs): "
            + "\(targets.count - missed.count) of \(targets.count) targets met"
            + (missed.isEmpty ? "" : "; missed: \(missed.joined(separator: "; "))")
            + (problems.isEmpty ? "; no 429, no window over a limit, no task lost" : "; **problems found**: \(problems.joined(separator: "; "))")
            + " (section 5)."
    }

    func scheduleProblems() -> [String] {
        guard case .array(let values)? = inputs.schedule?["problems"] else { return [] }
        return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// A JSON array of numbers and nulls (a figure's runs).
    static func numbers(_ value: JSONValue?) -> [Double?] {
        guard case .array(let values)? = value else { return [] }
        return values.map { if case .number(let text) = $0 { Double(text) } else { nil } }
    }
}
