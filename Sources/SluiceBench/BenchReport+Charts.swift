import Foundation

/// The report's charts, built from the inputs; each is one SVG file next to REPORT.md.
extension BenchReport {
    struct Chart {
        let file: String
        let chart: SVGChart
    }

    static let colors = (sluice: "#1f77b4", celery: "#2ca02c", dramatiq: "#d62728", limit: "#d62728", rate: "#7f7f7f", ceiling: "#ff7f0e")

    /// Limiter ops/s (median of runs) against the process count, beside the bare-CAS ceiling.
    static func limiterChart(_ inputs: BenchReportInputs) -> Chart? {
        let limiter = limiterPoints(inputs, mode: "unpaced")
        guard !limiter.isEmpty else { return nil }
        var chart = SVGChart(title: "Limiter: reservations per second against processes", xLabel: "processes on one queue (2 cores)",
                             yLabel: "operations per second, all processes")
        chart.series.append(SVGChart.Series(name: "limiter (tryAcquire)", color: colors.sluice, style: .line,
                                            points: limiter.map { (log2(Double($0.processes)), $0.opsPerSecond) }))
        let ceiling = limiterPoints(inputs, mode: "bare")
        if !ceiling.isEmpty {
            chart.series.append(SVGChart.Series(name: "bare load+CAS (ceiling)", color: colors.ceiling, style: .line,
                                                points: ceiling.map { (log2(Double($0.processes)), $0.opsPerSecond) }))
        }
        let processes = Set((limiter + ceiling).map(\.processes)).sorted()
        chart.xTicks = processes.map { (log2(Double($0)), "\($0)") }
        chart.xDomain = -0.25...(log2(Double(processes.last ?? 1)) + 0.25)
        return Chart(file: "limiter-ops.svg", chart: chart)
    }

    /// (processes, ops/s) of every `limiter-<mode>-p<N>` input, by process count.
    static func limiterPoints(_ inputs: BenchReportInputs, mode: String) -> [(processes: Int, opsPerSecond: Double)] {
        inputs.limiter.compactMap { name, report -> (Int, Double)? in
            guard name.hasPrefix("limiter-\(mode)-p"), let processes = Int(name.dropFirst("limiter-\(mode)-p".count)),
                  let ops = report.double("ops_per_sec") else { return nil }
            return (processes, ops)
        }.sorted { $0.0 < $1.0 }
    }

    /// Admitted starts per 100 ms of each e2e queue (run 1), against the provider's limit and the fleet's rate.
    static func e2eCharts(_ inputs: BenchReportInputs) throws -> [Chart] {
        guard let arrivals = inputs.e2eArrivals, let tasks = inputs.e2e?.integer(at: ["tasks"]) else { return [] }
        return try E2EScenario(tasks: tasks).queues.compactMap { plan in
            guard case .object(let endpoint)? = arrivals.value(at: ["endpoints", plan.endpoint]) else { return nil }
            let timeline = try StartTimeline(json: endpoint)
            var chart = startsChart(timeline, title: "\(plan.name): admitted starts per 100 ms (bench e2e, run 1)", color: colors.sluice,
                                    name: "\(plan.name) starts")
            chart.references = [
                SVGChart.Reference(label: "limit \(SVGChart.number(plan.sandboxRequestsPerSecond / 10))/100 ms", y: plan.sandboxRequestsPerSecond / 10, color: colors.limit),
                SVGChart.Reference(label: "rate \(SVGChart.number(plan.fleetRequestsPerSecond / 10))/100 ms", y: plan.fleetRequestsPerSecond / 10, color: colors.rate),
            ]
            return Chart(file: "e2e-starts-\(plan.name).svg", chart: chart)
        }
    }

    /// Admitted starts per 100 ms of each contender's median run (by drain time), on one y scale so they compare at a glance.
    static func versusCharts(_ inputs: BenchReportInputs) -> [Chart] {
        let medianRuns = contenders(inputs).compactMap { name in medianRun(inputs.versus.filter { $0.contender == name }) }
        let top = medianRuns.flatMap { $0.timeline.successesPerBucket(width: 100_000).map { Double($0.count) } }.max() ?? 1
        return medianRuns.map { run in
            var chart = startsChart(run.timeline, title: "\(displayName(run.contender)): admitted starts per 100 ms (side by side, run \(run.run))",
                                    color: color(of: run.contender), name: "\(displayName(run.contender)) starts", window: run.window)
            chart.yTop = top
            let limit = Double(run.allowed) / (Double(run.window) / 100_000)
            chart.references = [
                SVGChart.Reference(label: "limit \(SVGChart.number(limit))/100 ms", y: limit, color: colors.limit),
                SVGChart.Reference(label: "rate \(SVGChart.number(run.configuredRate / 10))/100 ms", y: run.configuredRate / 10, color: colors.rate),
            ]
            return Chart(file: "versus-starts-\(run.contender).svg", chart: chart)
        }
    }

    /// The run whose drain time is the median (the lower middle of an even count); nil for none.
    static func medianRun(_ runs: [VersusRun]) -> VersusRun? {
        let sorted = runs.sorted { ($0.timeline.drainSeconds, $0.run) < ($1.timeline.drainSeconds, $1.run) }
        return sorted.isEmpty ? nil : sorted[(sorted.count - 1) / 2]
    }

    /// Bars of successful starts per 100 ms, and a trace of every request (refused ones included) in the
    /// trailing window of the limit (`window` µs) scaled to 100 ms: what the provider counts, on the bars' scale.
    static func startsChart(_ timeline: StartTimeline, title: String, color: String, name: String, window: UInt64 = 1_000_000) -> SVGChart {
        var chart = SVGChart(title: title, xLabel: "seconds since the sandbox's zero", yLabel: "successful requests started per 100 ms")
        let scale = Double(window) / 100_000
        chart.series = [
            SVGChart.Series(name: name, color: color, style: .bars(width: 0.1),
                            points: timeline.successesPerBucket(width: 100_000).map { (Double($0.start) / 1e6, Double($0.count)) }),
            SVGChart.Series(name: "requests in last \(SVGChart.number(Double(window) / 1e6)) s ÷ \(SVGChart.number(scale))", color: "#000000", style: .trace,
                            points: timeline.trailingArrivals(every: 100_000, width: window).map { (Double($0.end) / 1e6, Double($0.count) / scale) }),
        ]
        return chart
    }

    /// The contenders present: Sluice, Celery, Dramatiq, then any other by name.
    static func contenders(_ inputs: BenchReportInputs) -> [String] {
        let present = Set(inputs.versus.map(\.contender))
        return ["sluice", "celery", "dramatiq"].filter(present.contains) + present.subtracting(["sluice", "celery", "dramatiq"]).sorted()
    }

    static func displayName(_ contender: String) -> String { contender.prefix(1).uppercased() + contender.dropFirst() }

    static func color(of contender: String) -> String {
        switch contender {
        case "celery": colors.celery
        case "dramatiq": colors.dramatiq
        default: colors.sluice
        }
    }
}
