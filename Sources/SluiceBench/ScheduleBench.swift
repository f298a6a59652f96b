import Foundation
import Glibc

/// `sluice bench schedule`: issue 19's scenarios (a rate change, a
/// scale-down, a restart, repeated kills, thousands of keys, dropped
/// connections), each against a fresh sandbox and a real fleet on 127.0.0.1,
/// judged from what the sandbox saw (`GET /__sandbox/arrivals`).
///
/// Runs go round by round (every scenario once, then again), so a noisy
/// spell on the shared machine touches one run of several scenarios rather
/// than every run of one. Each scenario's run has its own scratch directory,
/// torn down after it, on error or on SIGINT/SIGTERM.
public struct ScheduleBench: Sendable {
    public var runs = 3
    /// Which scenarios, by name (`set-rate`, `scale-down`, `restart`, `kill`, `keys`, `drops`); empty: all.
    public var only: [String] = []
    public var parentDirectory = "/var/tmp"
    public var keepFiles = false

    public init() {}

    /// Every scenario's name, in the order they run.
    public static let scenarioNames = ScheduleScenario.allCases.map(\.rawValue)

    public func run(executable: String, progress: @escaping @Sendable (String) -> Void) throws -> ScheduleBenchReport {
        let scenarios = ScheduleScenario.allCases.filter { only.isEmpty || only.contains($0.rawValue) }
        let interrupts = E2EInterruptGuard()
        defer { interrupts.disarm() }
        var results: [ScheduleScenario: [ScheduleRun]] = [:]
        var problems: [String] = []
        for run in 1...max(runs, 1) {
            for scenario in scenarios {
                progress("run \(run) of \(runs): \(scenario.rawValue): \(scenario.title)")
                let measured = try ScheduleMeasurement(executable: executable, scenario: scenario, run: run, bench: self,
                                                       interrupts: interrupts, progress: progress).measure()
                problems += measured.problems.map { "run \(run): \(scenario.rawValue): \($0)" }
                results[scenario, default: []].append(measured)
            }
        }
        return ScheduleBenchReport(runs: max(runs, 1), scenarios: scenarios.map { ScheduleScenarioReport($0, runs: results[$0] ?? []) },
                                   problems: problems)
    }

    /// A fresh scratch directory for one fleet, guarded against signals and torn down after `body`.
    func withScratch<T>(interrupts: E2EInterruptGuard, progress: (String) -> Void, _ body: (E2EScratch) throws -> T) throws -> T {
        let scratch = try E2EScratch(parent: parentDirectory, keep: keepFiles, bench: "schedule")
        if keepFiles { progress("keeping \(scratch.directory)") }
        interrupts.guarding(scratch)
        defer {
            scratch.tearDown()
            interrupts.guarding(nil)
        }
        return try body(scratch)
    }
}
