import Foundation

extension E2EBenchReport {
    /// The report for people: a table per phase, then the targets.
    public var text: String {
        var lines = ["e2e bench" + (drain != nil ? ": \(Self.grouped(Double(tasks))) tasks" : "") + (runs > 1 ? ", \(runs) runs (medians; worst windows, all 429s)" : "")]
        if let drain { lines += drainLines(drain) }
        if let executor { lines += executorLines(executor) }
        lines.append("targets")
        for target in targets {
            lines.append("  \(Self.padded(target.name, 44)) \(Self.padded(target.value, 34)) \(target.met ? "met" : "MISSED")")
        }
        if !problems.isEmpty {
            lines.append("PROBLEMS (the bench fails):")
            lines += problems.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    private func drainLines(_ drain: E2EDrainReport) -> [String] {
        var lines = [
            "fleet drain: sandbox limits per 1 s window, fleet at 90% of them; drain = first request sent → last task settled",
            "  queue         procs  tasks  rate/s  binds     theory s  drain s   ratio  first send s  429s  busiest window / allowed",
        ]
        for queue in drain.queues {
            let windows = queue.limits.map { "\($0.name) \($0.worstWindow)/\($0.allowed)" }.joined(separator: ", ")
            lines.append("  " + [
                Self.padded(queue.name, 13), Self.right("\(queue.processes)", 5), Self.right("\(queue.tasks)", 6),
                Self.right(Self.decimal(queue.ratePerSecond, 1), 7), " " + Self.padded(queue.binding, 8),
                Self.right(Self.decimal(queue.theoreticalSeconds), 9), Self.right(Self.decimal(queue.drainSeconds), 8),
                Self.right(Self.decimal(queue.ratio, 3), 7), Self.right(Self.decimal(queue.firstSendSeconds), 13),
                Self.right("\(queue.rateLimited)", 5), " " + windows,
            ].joined(separator: " "))
        }
        let perQueue = drain.queues.map { "\($0.name) \(Self.decimal($0.cpuSeconds))" }.joined(separator: ", ")
        lines.append("  fleet: wall \(Self.decimal(drain.wallSeconds)) s (first request \(Self.decimal(drain.startupSeconds)) s after spawn), "
                     + "CPU \(Self.decimal(drain.fleetCPUSeconds)) s for the supervisor and \(drain.workers.count) workers; sandbox CPU \(Self.decimal(drain.sandboxCPUSeconds)) s")
        lines.append("  workers' CPU s by queue: \(perQueue)")
        lines.append("  worker RSS (VmHWM): max \(Self.megabytes(drain.workerPeakRSSMaxKB)), median \(Self.megabytes(drain.workerPeakRSSMedianKB)); "
                     + "supervisor \(Self.megabytes(drain.supervisorPeakRSSKB))")
        return lines
    }

    private func executorLines(_ executor: E2EExecutorReport) -> [String] {
        let micro = { (value: Double) in "\(Int(value.rounded())) µs" }
        return [
            "executor alone: one process, HTTPExecutor (libcurl) → sandbox /__sandbox/echo, \(executor.concurrency) in flight, \(Self.decimal(executor.seconds, 1)) s",
            "  \(Self.grouped(executor.requestsPerSecond)) requests/s (\(executor.failures) failed), CPU \(micro(executor.cpuMicrosecondsPerRequest))/request, "
                + "latency under load p50 \(micro(executor.loadedP50Microseconds)) p99 \(micro(executor.loadedP99Microseconds)); "
                + "sandbox answered \(Self.grouped(Double(executor.sandboxEchoes))) echoes with \(Self.decimal(executor.sandboxCPUSeconds)) CPU s",
            "  one request at a time: bare socket p50 \(micro(executor.bareP50Microseconds)) p99 \(micro(executor.bareP99Microseconds)); "
                + "executor p50 \(micro(executor.executorP50Microseconds)) p99 \(micro(executor.executorP99Microseconds)); "
                + "added p50 \(micro(executor.addedP50Microseconds)) p99 \(micro(executor.addedP99Microseconds))",
            "  executor process RSS (VmHWM) \(Self.megabytes(executor.peakResidentKB)); RSS grew \(Int(executor.residentGrowthBytesPerRequest.rounded())) bytes per request while saturated",
        ]
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
