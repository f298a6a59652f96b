import SluiceJSON

/// The machine, headline, limiter, spool and end-to-end sections of REPORT.md.
extension BenchReport {
    func machineSection() -> [String] {
        guard !inputs.machine.isEmpty else { return ["(The machine was not recorded: `bench/raw/machine.tsv` is missing.)", ""] }
        return ["## The machine", "", "| | |", "|---|---|"] + inputs.machine.map { "| \($0.key) | \($0.value) |" } + [""]
    }

    func headlineSection() -> [String] {
        var lines = ["## Headlines", ""]
        let limiter = Self.limiterPoints(inputs, mode: "unpaced")
        if let one = limiter.first(where: { $0.processes == 1 }), let slowest = limiter.min(by: { $0.opsPerSecond < $1.opsPerSecond }) {
            let p50 = inputs.limiter["limiter-unpaced-p1"]?.integer(at: ["ns_p50"]).map { ", \($0) ns per decision (p50)" } ?? ""
            lines.append("- **Limiter**: \(Self.millions(one.opsPerSecond)) reservations/s in one process\(p50); "
                         + "at least \(Self.millions(slowest.opsPerSecond))/s with any of \(limiter.map { "\($0.processes)" }.joined(separator: ", ")) processes; "
                         + "\(pacedViolations().map { "\($0)" } ?? "–") sliding-window violations in every paced run.")
        }
        if let queues = inputs.e2e?.objects("drain", "queues"), !queues.isEmpty {
            let worst = queues.compactMap { $0.double("ratio") }.max() ?? 0
            let refused = queues.compactMap { $0.integer(at: ["rate_limited_429"]) }.reduce(0, +)
            let problems = e2eProblems()
            lines.append("- **Fleet end to end** (\(inputs.e2e?.integer(at: ["tasks"]) ?? 0) tasks, four queues): every queue drained within "
                         + "\(Self.decimal(worst, 3))× its theoretical time; \(refused) × 429"
                         + (problems.isEmpty ? "." : "; **problems found**: \(problems.joined(separator: "; ")) (section 3)."))
        }
        for summary in versusSummaries() {
            lines.append("- **\(Self.displayName(summary.contender))** on the side-by-side: \(Self.decimal(summary.achievedRate, 1))/s achieved, "
                         + "drained in \(Self.decimal(summary.drainSeconds, 1)) s, worst \(summary.windowText) window \(summary.worstWindow) "
                         + "(allowed \(summary.allowed)), \(summary.violations) requests over the limit, \(summary.rateLimited) × 429.")
        }
        if let schedule = scheduleHeadline() { lines.append(schedule) }
        return lines + [""]
    }

    /// Violations summed over every paced limiter run; nil without one.
    func pacedViolations() -> Int? {
        let paced = inputs.limiter.filter { $0.key.hasPrefix("limiter-paced") }.values.compactMap { $0.integer(at: ["violations"]) }
        return paced.isEmpty ? nil : paced.reduce(0, +)
    }

    func limiterSection(charts: Set<String>) -> [String] {
        var lines = ["## 1. The limiter (`sluice bench limiter`)", ""]
        let processes = Set(inputs.limiter.keys.compactMap { name in name.split(separator: "-p").last.flatMap { Int($0) } }).sorted()
        guard !processes.isEmpty else { return lines + ["Not measured in this run (no `bench/raw/limiter-*.json`).", ""] }
        lines += [
            "Every process calls the real limiter on one queue of a fresh shared-memory segment. *Unpaced*: `tryAcquire` in a tight loop at an"
                + " unlimited rate (always granted: the full read–decide–CAS path); per-call p50/p99 with the clock's own cost subtracted."
                + " *Paced*: each process reserves, sleeps until its instant and starts; every closed window of 1 s and 100 ms of the granted"
                + " instants is checked against `rate·W + burst`. *Bare CAS*: a load and a compare-and-swap on one shared word, the physical ceiling."
                + " Each row is the median of the runs shown.", "",
            "| processes | limiter ops/s | per call p50 / p99 | bare CAS ops/s | paced 100/s: achieved · busiest 1 s / 100 ms (allowed) · violations |",
            "|---:|---:|---|---:|---|",
        ]
        for count in processes {
            let unpaced = inputs.limiter["limiter-unpaced-p\(count)"]
            let bare = inputs.limiter["limiter-bare-p\(count)"]
            let paced = inputs.limiter["limiter-paced-p\(count)"]
            lines.append("| \(count) | \(unpaced?.double("ops_per_sec").map(Self.millions) ?? "–") | "
                         + "\(unpaced.map { "\($0.integer(at: ["ns_p50"]) ?? 0) / \($0.integer(at: ["ns_p99"]) ?? 0) ns" } ?? "–") | "
                         + "\(bare?.double("ops_per_sec").map(Self.millions) ?? "–") | \(paced.map(Self.pacedCell) ?? "–") |")
        }
        if let slow = inputs.limiter["limiter-paced-slow"] {
            lines += ["", "Paced at \(slow.double("rate").map { Self.decimal($0) } ?? "?")/s with \(slow.integer(at: ["processes"]) ?? 0) processes for "
                      + "\(slow.double("seconds").map { Self.decimal($0, 0) } ?? "?") s: \(Self.pacedCell(slow))."]
        }
        lines += ["", "Runs per row: \(inputs.limiter["limiter-unpaced-p1"]?.integer(at: ["runs"]) ?? 1). Commands:", ""]
        lines += inputs.commands.keys.filter { $0.hasPrefix("limiter-") }.sorted(by: Self.byProcessCount).map { "- \($0): \(command($0))" }
        if charts.contains("limiter-ops.svg") { lines += ["", "![Limiter operations per second against processes](limiter-ops.svg)"] }
        return lines + [""]
    }

    /// Orders `limiter-unpaced-p2` before `limiter-unpaced-p16`.
    static func byProcessCount(_ left: String, _ right: String) -> Bool {
        func parts(_ name: String) -> (String, Int) {
            guard let range = name.range(of: "-p", options: .backwards), let count = Int(name[range.upperBound...]) else { return (name, 0) }
            return (String(name[..<range.lowerBound]), count)
        }
        let (a, b) = (parts(left), parts(right))
        return a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
    }

    static func pacedCell(_ paced: JSONObject) -> String {
        "\(decimal((paced.double("achieved_ratio") ?? 0) * 100))% · \(paced.integer(at: ["max_in_1s"]) ?? 0) / \(paced.integer(at: ["max_in_100ms"]) ?? 0) "
            + "(\(paced.integer(at: ["allowed_in_1s"]) ?? 0) / \(paced.integer(at: ["allowed_in_100ms"]) ?? 0)) · \(paced.integer(at: ["violations"]) ?? 0)"
    }

    func spoolSection() -> [String] {
        guard let text = inputs.spoolText else { return ["## 2. The spool (`sluice bench spool`)", "", "Not measured in this run.", ""] }
        return ["## 2. The spool (`sluice bench spool`)", "", "Command: \(command("spool")). Its report as printed:", "", "```text"]
            + text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).reversed().drop { $0.isEmpty }.reversed()
            + ["```", ""]
    }

    /// What `bench e2e` reported as wrong (429s, windows over a limit, lost or dead tasks); empty when all held.
    func e2eProblems() -> [String] {
        guard case .array(let values)? = inputs.e2e?["problems"] else { return [] }
        return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    func e2eSection(charts: Set<String>) -> [String] {
        var lines = ["## 3. The fleet end to end (`sluice bench e2e`)", ""]
        guard let e2e = inputs.e2e else { return lines + ["Not measured in this run.", ""] }
        lines += [
            "A sandbox with per-second limits (SendGrid 10/s, Stripe 100/s, OpenAI 10 requests/s and 1,000 tokens/s, Twilio 5/s per sending"
                + " number), \(e2e.integer(at: ["tasks"]) ?? 0) tasks enqueued as a backlog across four queues configured at 90% of those limits,"
                + " `sluice run` until drained. Medians of \(e2e.integer(at: ["runs"]) ?? 1) run(s); 429s summed, windows the worst of the runs."
                + " Command: \(command("e2e")).", "",
            "| queue | processes | tasks | rate/s | theory s | drain s | ratio | 429s | worst window / allowed |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for queue in e2e.objects("drain", "queues") {
            let windows = queue.objects("limits").map { "\($0.string(at: ["name"]) ?? "?") \($0.integer(at: ["worst_window"]) ?? 0) / \($0.integer(at: ["allowed"]) ?? 0)" }
            lines.append("| \(queue.string(at: ["name"]) ?? "?") | \(queue.integer(at: ["processes"]) ?? 0) | \(queue.integer(at: ["tasks"]) ?? 0) | "
                         + "\(Self.decimal(queue.double("rate_per_s") ?? 0, 1)) | \(Self.decimal(queue.double("theoretical_s") ?? 0)) | "
                         + "\(Self.decimal(queue.double("drain_s") ?? 0)) | **\(Self.decimal(queue.double("ratio") ?? 0, 3))** | "
                         + "\(queue.integer(at: ["rate_limited_429"]) ?? 0) | \(windows.joined(separator: ", ")) |")
        }
        let problems = e2eProblems()
        if !problems.isEmpty {
            lines += ["", "**Problems found by this run** (`bench e2e` exits 1 on any of them):", ""] + problems.map { "- \($0)" }
        }
        if let drain = e2e.value(at: ["drain"]), case .object(let figures) = drain {
            lines += ["", "Fleet CPU \(Self.decimal(figures.double("fleet_cpu_s") ?? 0)) s for the supervisor and every worker over "
                      + "\(Self.decimal(figures.double("wall_s") ?? 0, 1)) s; worker RSS (VmHWM) max \(Self.decimal(Double(figures.integer(at: ["worker_peak_rss_max_kb"]) ?? 0) / 1024, 1)) MB."]
        }
        if let executor = e2e.value(at: ["executor"]), case .object(let figures) = executor {
            lines += ["HTTP executor alone: \(Self.grouped(figures.double("requests_per_s") ?? 0)) requests/s in one process."]
        }
        let queueCharts = charts.filter { $0.hasPrefix("e2e-starts-") }.sorted()
        if !queueCharts.isEmpty {
            lines += ["", "Admitted starts per 100 ms of run 1, as the sandbox saw them (`GET /__sandbox/arrivals`), against the provider's limit"
                      + " and the queue's configured rate, both as their share of 100 ms (the limits themselves are per 1 s window, so a single"
                      + " 100 ms may legitimately hold more):", ""]
            lines += queueCharts.map { "![\($0)](\($0))" }
        }
        return lines + [""]
    }
}
