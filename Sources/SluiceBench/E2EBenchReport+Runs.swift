extension E2EBenchReport {
    /// Several runs as one report: the median of every time, rate, CPU and
    /// memory figure; the worst of every window and the sum of every 429,
    /// loss and problem, so one bad run is never averaged away.
    static func combining(_ reports: [E2EBenchReport]) -> E2EBenchReport {
        guard var combined = reports.first, reports.count > 1 else { return reports.first ?? E2EBenchReport(tasks: 0) }
        combined.runs = reports.count
        combined.drain = E2EDrainReport.combining(reports.compactMap(\.drain))
        combined.executor = E2EExecutorReport.combining(reports.compactMap(\.executor))
        combined.problems = reports.enumerated().flatMap { run, report in report.problems.map { "run \(run + 1): \($0)" } }
        combined.perRun = reports.map { report in
            E2ERunFigures(ratios: Dictionary(uniqueKeysWithValues: (report.drain?.queues ?? []).map { ($0.name, $0.ratio) }),
                          fleetCPUSeconds: report.drain?.fleetCPUSeconds, workerPeakRSSMaxKB: report.drain?.workerPeakRSSMaxKB,
                          requestsPerSecond: report.executor?.requestsPerSecond, addedP50Microseconds: report.executor?.addedP50Microseconds)
        }
        return combined
    }
}

extension E2EDrainReport {
    static func combining(_ runs: [E2EDrainReport]) -> E2EDrainReport? {
        guard var combined = runs.first else { return nil }
        combined.wallSeconds = median(runs.map(\.wallSeconds))
        combined.startupSeconds = median(runs.map(\.startupSeconds))
        combined.fleetCPUSeconds = median(runs.map(\.fleetCPUSeconds))
        combined.sandboxCPUSeconds = median(runs.map(\.sandboxCPUSeconds))
        combined.supervisorPeakRSSKB = median(runs.map(\.supervisorPeakRSSKB))
        combined.workerPeakRSSMaxKB = median(runs.map(\.workerPeakRSSMaxKB))
        combined.workerPeakRSSMedianKB = median(runs.map(\.workerPeakRSSMedianKB))
        combined.fleetExit = runs.first { $0.fleetExit != "exited with code 0" }?.fleetExit ?? combined.fleetExit
        for index in combined.queues.indices {
            let same = runs.compactMap { $0.queues.indices.contains(index) ? $0.queues[index] : nil }
            combined.queues[index] = E2EQueueDrain.combining(same)
        }
        return combined
    }
}

extension E2EQueueDrain {
    static func combining(_ runs: [E2EQueueDrain]) -> E2EQueueDrain {
        var combined = runs[0]
        combined.completed = runs.map(\.completed).min() ?? 0
        combined.succeededAtSandbox = runs.map(\.succeededAtSandbox).min() ?? 0
        combined.dead = runs.map(\.dead).reduce(0, +)
        combined.left = runs.map(\.left).reduce(0, +)
        combined.retries = runs.map(\.retries).reduce(0, +)
        combined.drainSeconds = median(runs.map(\.drainSeconds))
        combined.ratio = median(runs.map(\.ratio))
        combined.firstSendSeconds = median(runs.map(\.firstSendSeconds))
        combined.cpuSeconds = median(runs.map(\.cpuSeconds))
        combined.rateLimited = runs.map(\.rateLimited).reduce(0, +)
        combined.duplicates = runs.map(\.duplicates).reduce(0, +)
        for index in combined.limits.indices {
            combined.limits[index].worstWindow = runs.map { $0.limits[index].worstWindow }.max() ?? 0
        }
        return combined
    }
}

extension E2EExecutorReport {
    static func combining(_ runs: [E2EExecutorReport]) -> E2EExecutorReport? {
        guard var combined = runs.first else { return nil }
        combined.seconds = median(runs.map(\.seconds))
        combined.requests = median(runs.map(\.requests))
        combined.failures = runs.map(\.failures).reduce(0, +)
        combined.requestsPerSecond = median(runs.map(\.requestsPerSecond))
        combined.cpuMicrosecondsPerRequest = median(runs.map(\.cpuMicrosecondsPerRequest))
        combined.loadedP50Microseconds = median(runs.map(\.loadedP50Microseconds))
        combined.loadedP99Microseconds = median(runs.map(\.loadedP99Microseconds))
        combined.bareP50Microseconds = median(runs.map(\.bareP50Microseconds))
        combined.bareP99Microseconds = median(runs.map(\.bareP99Microseconds))
        combined.executorP50Microseconds = median(runs.map(\.executorP50Microseconds))
        combined.executorP99Microseconds = median(runs.map(\.executorP99Microseconds))
        combined.addedP50Microseconds = median(runs.map(\.addedP50Microseconds))
        combined.addedP99Microseconds = median(runs.map(\.addedP99Microseconds))
        combined.peakResidentKB = median(runs.map(\.peakResidentKB))
        combined.residentGrowthBytesPerRequest = median(runs.map(\.residentGrowthBytesPerRequest))
        combined.sandboxCPUSeconds = median(runs.map(\.sandboxCPUSeconds))
        combined.sandboxEchoes = median(runs.map(\.sandboxEchoes))
        return combined
    }
}

/// The middle value (the upper middle of an even count); requires a non-empty list.
private func median<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }
