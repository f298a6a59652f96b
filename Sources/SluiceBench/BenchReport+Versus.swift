/// The side-by-side section: Sluice, Celery and Dramatiq on the same work.
extension BenchReport {
    /// One contender's figures: medians over its runs (worst window: the worst run).
    struct VersusSummary {
        let contender: String
        let runs: [VersusRun]
        var achievedRate: Double { BenchReport.median(runs.map(\.timeline.achievedRate)) }
        var drainSeconds: Double { BenchReport.median(runs.map(\.timeline.drainSeconds)) }
        var worstWindow: Int { runs.map { $0.timeline.worstWindow(width: $0.window) }.max() ?? 0 }
        var violations: Int { Int(BenchReport.median(runs.map { Double($0.timeline.violations(width: $0.window, allowed: $0.allowed)) })) }
        var rateLimited: Int { Int(BenchReport.median(runs.map { Double($0.timeline.rateLimited) })) }
        var cpuSeconds: Double { BenchReport.median(runs.map(\.workerCPUSeconds)) }
        var allowed: Int { runs.first?.allowed ?? 0 }
        var windowText: String { "\(BenchReport.decimal(Double(runs.first?.window ?? 0) / 1e6, 0)) s" }
        var allDrained: Bool { runs.allSatisfy(\.drained) }
    }

    func versusSummaries() -> [VersusSummary] {
        Self.contenders(inputs).map { name in VersusSummary(contender: name, runs: inputs.versus.filter { $0.contender == name }.sorted { $0.run < $1.run }) }
    }

    func versusSection(charts: Set<String>) -> [String] {
        var lines = ["## 4. Side by side: Sluice, Celery `rate_limit`, Dramatiq `BucketRateLimiter`", ""]
        let summaries = versusSummaries()
        guard let first = summaries.first?.runs.first else { return lines + ["Not measured in this run.", ""] }
        lines += [
            "The same work for each: \(first.tasks) Stripe payment intents enqueued as a backlog, then \(first.processes) worker processes"
                + " started against a fresh `sluice sandbox` whose Stripe limit is \(first.sandboxLimit) (a sliding window), each contender"
                + " configured for \(Self.decimal(first.configuredRate, 1))/s in its own idiom, one request at a time per process, a 429 retried"
                + " after its Retry-After. Every figure comes from what the sandbox saw (`GET /__sandbox/arrivals`), computed the same way"
                + " for all three. The three ran in turn, round after round, in the same `make bench`. Command: \(command("versus")).", "",
            "| contender | configured as |", "|---|---|",
        ]
        lines += summaries.compactMap { summary in summary.runs.first.map { "| \(Self.displayName(summary.contender)) | \($0.settings) |" } }
        lines += [
            "", "| contender | runs | achieved rate | drain time | worst \(summaries[0].windowText) window (allowed) | requests over the limit | 429s | limiter cost per decision | worker CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for summary in summaries {
            lines.append("| \(Self.displayName(summary.contender)) | \(summary.runs.count) | \(Self.decimal(summary.achievedRate, 1))/s | "
                         + "\(Self.decimal(summary.drainSeconds, 2)) s\(summary.allDrained ? "" : " (not drained)") | \(summary.worstWindow) (\(summary.allowed)) | "
                         + "\(summary.violations) | \(summary.rateLimited) | \(decisionCost(summary.contender)) | \(Self.decimal(summary.cpuSeconds, 2)) s |")
        }
        lines += [
            "", "Medians over the runs; the worst window is the worst run's. Per run (achieved rate · drain · worst window · over the limit · 429s):", "",
        ]
        for summary in summaries {
            let cells = summary.runs.map { run in
                "\(Self.decimal(run.timeline.achievedRate, 1))/s · \(Self.decimal(run.timeline.drainSeconds, 2)) s · \(run.timeline.worstWindow(width: run.window))"
                    + " · \(run.timeline.violations(width: run.window, allowed: run.allowed)) · \(run.timeline.rateLimited)\(run.drained ? "" : " · not drained")"
            }
            lines.append("- \(Self.displayName(summary.contender)): \(cells.joined(separator: "; "))")
        }
        lines += ["", "What each figure means:", "",
                  "- *achieved rate*: successful requests after the first, per second between the first request and the last success;",
                  "- *drain time*: from the first request the sandbox saw to the last success;",
                  "- *worst window*: the most requests that arrived in any sliding window of the limit's width, `(t − W, t]`, as the provider counts;",
                  "- *requests over the limit*: requests that arrived when their window already held the limit's allowance (each would be refused,"
                      + " or worse, by a real provider);",
                  "- *429s*: answers the sandbox refused; each costs the contender a retry;",
                  "- *limiter cost per decision*: the limiter's own decision, alone, granted; \(decisionCostNotes());",
                  "- *worker CPU*: user + system CPU of every worker process (start-up included), from `getrusage(RUSAGE_CHILDREN)` after reaping them."]
        let versusCharts = summaries.map { "versus-starts-\($0.contender).svg" }.filter(charts.contains)
        if !versusCharts.isEmpty {
            lines += ["", "Admitted starts per 100 ms of each contender's median run (by drain time; its number is in the title), on one scale,"
                      + " against the limit's and the configured rate's share of 100 ms:", ""]
            lines += versusCharts.map { "![\($0)](\($0))" }
        }
        return lines + [""]
    }

    /// The side-by-side configured at exactly the provider's number (issue 12):
    /// what each achieved as a share of it, and the 429s that cost.
    func versusAtLimitSection() -> [String] {
        var lines = ["### 4b. At the provider's own number", ""]
        let summaries = Self.contenders(inputs).map { name in
            VersusSummary(contender: name, runs: inputs.versusAtLimit.filter { $0.contender == name }.sorted { $0.run < $1.run })
        }.filter { !$0.runs.isEmpty }
        guard let first = summaries.first?.runs.first else { return lines + ["Not measured in this run.", ""] }
        lines += [
            "The same contenders and work (\(first.tasks) tasks, \(first.processes) processes), each configured at exactly the sandbox's"
                + " \(first.sandboxLimit), burst 1, as a user copies the number from the provider's documentation. Command: \(command("versus-at-limit")).", "",
            "| contender | runs | achieved rate | share of the limit | worst \(summaries[0].windowText) window (allowed) | 429s (per run) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for summary in summaries {
            let share = first.configuredRate > 0 ? summary.achievedRate / first.configuredRate * 100 : 0
            let refused = summary.runs.map { "\($0.timeline.rateLimited)" }.joined(separator: ", ")
            lines.append("| \(Self.displayName(summary.contender)) | \(summary.runs.count) | \(Self.decimal(summary.achievedRate, 2))/s | "
                         + "\(Self.decimal(share, 1))% | \(summary.worstWindow) (\(summary.allowed)) | \(refused) |")
        }
        lines += ["", "Medians over the runs; the worst window is the worst run's (refused requests included, as the provider counts them)."]
        return lines + [""]
    }

    /// The contender's cost per decision: Sluice's from the one-process limiter run, the others' from the driver's measurement.
    func decisionCost(_ contender: String) -> String {
        if contender == "sluice" {
            return inputs.limiter["limiter-unpaced-p1"]?.integer(at: ["ns_p50"]).map { "\($0) ns" } ?? "–"
        }
        guard let nanoseconds = inputs.decisionCost?.double(contender, "ns") else { return "–" }
        return nanoseconds >= 10_000 ? "\(Self.decimal(nanoseconds / 1000, 0)) µs" : "\(Self.decimal(nanoseconds, 0)) ns"
    }

    func decisionCostNotes() -> String {
        var notes = ["Sluice: `tryAcquire` on the shared-memory cell, p50 of the one-process limiter run (section 1)"]
        for contender in ["celery", "dramatiq"] {
            if let what = inputs.decisionCost?.string(at: [contender, "what"]) { notes.append("\(Self.displayName(contender)): \(what)") }
        }
        if inputs.commands["versus"] != nil { notes.append("the Python figures are medians of 5 batches, measured by the same driver") }
        return notes.joined(separator: "; ")
    }
}
