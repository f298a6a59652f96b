import Foundation

/// What `sluice bench schedule` measured, printed as text or one JSON object
/// (`--json`, what `sluice bench report` reads).
public struct ScheduleBenchReport: Encodable, Sendable {
    public var runs: Int
    public var scenarios: [ScheduleScenarioReport]
    /// Correctness failures of every run ("run 2: kill: …"); any makes the command exit 1.
    public var problems: [String]

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report for people: each scenario's figures (value, then each run's), then its targets.
    public var text: String {
        var lines = ["schedule bench: \(runs) run\(runs == 1 ? "" : "s") of each scenario"
                     + (runs > 1 ? " (medians; busiest windows the worst run, 429s summed)" : "")]
        for scenario in scenarios {
            lines += ["", "\(scenario.name): \(scenario.title)", "  \(scenario.setup)"]
            for figure in scenario.figures {
                let each = figure.runs.map { ScheduleFigure.format($0, unit: figure.unit, places: figure.places) }.joined(separator: ", ")
                lines.append("  " + E2EBenchReport.padded(figure.label, 58) + " "
                             + E2EBenchReport.padded(ScheduleFigure.format(figure.value, unit: figure.unit, places: figure.places), 20)
                             + (runs > 1 ? " (\(each))" : ""))
            }
            for target in scenario.targets {
                lines.append("  target: " + E2EBenchReport.padded(target.name, 50) + " " + E2EBenchReport.padded(target.value, 20)
                             + " " + (target.met ? "met" : "MISSED"))
            }
        }
        if !problems.isEmpty {
            lines += ["", "PROBLEMS (the bench fails):"] + problems.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// One scenario over every run.
public struct ScheduleScenarioReport: Encodable, Sendable {
    public var name: String
    public var title: String
    public var setup: String
    public var figures: [ScheduleFigure]
    /// Issue 19's targets, judged on the reported values.
    public var targets: [E2ETarget]

    init(_ scenario: ScheduleScenario, runs: [ScheduleRun]) {
        name = scenario.rawValue
        title = scenario.title
        setup = scenario.setup
        figures = ScheduleRun.combining(runs)
        let values = Dictionary(figures.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        targets = scenario.targets { values[$0] ?? nil }
    }
}

extension ScheduleScenario {
    /// Issue 19's targets for this scenario, judged by `value(key)` of the
    /// reported figures: back at the rate within the booking horizon + 1 s
    /// (what `ScheduleUnderChangeTests` asserts), the kill test's floor, CPU per
    /// request with many keys within 2× of few, one retry per drop, no stall.
    func targets(_ value: (String) -> Double?) -> [E2ETarget] {
        let within = horizon + 1
        func atMost(_ name: String, _ key: String, _ bound: Double, unit: String, places: Int = 2) -> E2ETarget {
            let figure = value(key)
            return E2ETarget(name: name, value: ScheduleFigure.format(figure, unit: unit, places: places), met: figure.map { $0 <= bound } ?? false)
        }
        let bound = ScheduleFigure.format(within, unit: "s", places: 1)
        switch self {
        case .setRate:
            return [atMost("50/s again within the horizon + 1 s (\(bound))", "recovery_s", within, unit: "s"),
                    atMost("≤ 4 arrivals at 1/s once the horizon has passed", "slow_after_horizon", 4, unit: "", places: 0)]
        case .scaleDown:
            return [atMost("5/s again within the horizon + 1 s (\(bound))", "recovery_s", within, unit: "s")]
        case .restart:
            return [atMost("first request within the horizon + 1 s (\(bound))", "first_arrival_s", within, unit: "s"),
                    atMost("5/s again within the horizon + 1 s (\(bound))", "recovery_s", within, unit: "s")]
        case .kill:
            let achieved = value("achieved_percent")
            return [E2ETarget(name: "≥ 60% of the rate (the kill test's floor)", value: ScheduleFigure.format(achieved, unit: "%", places: 0),
                              met: achieved.map { $0 >= 60 } ?? false)]
        case .keys:
            return [atMost("CPU per request, 3,000 keys ≤ 2× 200 keys", "cpu_ratio", 2, unit: "×"),
                    atMost("3,000 keys drained within 1.1× the theoretical", "many_drain_ratio", 1.1, unit: "×", places: 3)]
        case .drops:
            return [atMost("no more than one extra request per drop", "extra_per_drop", 1, unit: ""),
                    atMost("no gap over 1 s between answers", "longest_gap_s", 1, unit: "s")]
        case .limit20x4, .limit20x16, .limit100, .limit1_5:
            let achieved = value("achieved_percent")
            return [E2ETarget(name: "≥ 99% of the provider's number", value: ScheduleFigure.format(achieved, unit: "%", places: 1),
                              met: achieved.map { $0 >= 99 } ?? false),
                    atMost("≤ 1 × 429 per 1,000 requests after the first 10 s", "late_429_per_1000", 1, unit: "", places: 1)]
        case .sharedBudget:
            let learnt = value("shared_percent")
            return [E2ETarget(name: "within 5% of the budget left after 30 s", value: ScheduleFigure.format(learnt, unit: "%", places: 1),
                              met: learnt.map { abs($0 - 100) <= 5 } ?? false),
                    atMost("429s ≤ 1% of requests", "rate_limited_percent", 1, unit: "%"),
                    atMost("back at the full rate within 60 s", "recovery_s", 60, unit: "s")]
        }
    }
}
