import Foundation
import Glibc

/// `sluice bench e2e`: the fleet end to end against the sandbox (drain time
/// against the theoretical, 429s, CPU, RSS), then the HTTP executor alone
/// (requests/s per process, added latency). See README-bench-e2e.md.
///
/// Each run starts everything it needs in a fresh scratch directory and
/// tears all of it down afterwards, on success, error or SIGINT/SIGTERM:
/// processes reaped, segment unlinked, directory removed.
public struct E2EBench: Sendable {
    /// Tasks across the four queues (split as `E2EScenario` says).
    public var tasks = 2000
    public var runs = 1
    /// The executor phase: seconds saturated, seconds of sequential latency, requests in flight.
    public var executorSeconds = 5.0
    public var latencySeconds = 4.0
    public var concurrency = 8
    public var drainPhase = true
    public var executorPhase = true
    /// Where scratch directories go (the spool lives there: a disk, not tmpfs, is realistic).
    public var parentDirectory = "/var/tmp"
    /// Keep each run's scratch directory (logs, spool) for inspection.
    public var keepFiles = false
    /// Where to save each run's sandbox arrivals, as `e2e-arrivals-run<K>.json`; nil: not saved.
    public var arrivalsDirectory: String?

    public init() {}

    /// Runs every phase `runs` times and combines the reports (medians).
    public func run(executable: String, progress: @escaping @Sendable (String) -> Void) throws -> E2EBenchReport {
        let interrupts = E2EInterruptGuard()
        defer { interrupts.disarm() }
        var reports: [E2EBenchReport] = []
        for run in 1...max(runs, 1) {
            if runs > 1 { progress("run \(run) of \(runs)") }
            reports.append(try runOnce(run: run, executable: executable, interrupts: interrupts, progress: progress))
        }
        return E2EBenchReport.combining(reports)
    }

    private func runOnce(run: Int, executable: String, interrupts: E2EInterruptGuard, progress: @escaping (String) -> Void) throws -> E2EBenchReport {
        let scratch = try E2EScratch(parent: parentDirectory, keep: keepFiles)
        if keepFiles { progress("keeping \(scratch.directory)") }
        interrupts.guarding(scratch)
        defer {
            scratch.tearDown()
            interrupts.guarding(nil)
        }
        var report = E2EBenchReport(tasks: tasks)
        if drainPhase {
            let arrivalsFile = arrivalsDirectory.map { "\($0)/e2e-arrivals-run\(run).json" }
            let drain = try E2EFleetDrain(executable: executable, scenario: E2EScenario(tasks: tasks), scratch: scratch, progress: progress,
                                          arrivalsFile: arrivalsFile).run()
            report.drain = drain
            report.problems += drain.problems
        }
        if executorPhase {
            progress("executor alone: \(latencySeconds) s sequential, then \(executorSeconds) s with \(concurrency) in flight")
            report.executor = try E2EExecutorPhase(executable: executable, scratch: scratch, seconds: executorSeconds,
                                                   latencySeconds: latencySeconds, concurrency: concurrency).run()
        }
        return report
    }
}
