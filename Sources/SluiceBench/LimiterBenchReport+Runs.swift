extension LimiterBenchReport {
    /// Several runs of the same bench as one report: the median of each rate
    /// and latency, and the *worst* of each window count and the sum of
    /// violations, so a single bad run is never averaged away.
    static func combining(_ runs: [LimiterBenchReport]) -> LimiterBenchReport {
        guard var combined = runs.first, runs.count > 1 else { return runs.first ?? LimiterBenchReport(processes: 0, seconds: 0, paced: false) }
        combined.runs = runs.count
        combined.opsPerSec = median(runs.compactMap(\.opsPerSec))
        combined.nsP50 = median(runs.compactMap(\.nsP50))
        combined.nsP99 = median(runs.compactMap(\.nsP99))
        combined.timerOverheadNs = median(runs.compactMap(\.timerOverheadNs))
        combined.starts = median(runs.compactMap(\.starts))
        combined.achievedRate = median(runs.compactMap(\.achievedRate))
        combined.achievedRatio = median(runs.compactMap(\.achievedRatio))
        combined.maxIn1s = runs.compactMap(\.maxIn1s).max()
        combined.maxIn100ms = runs.compactMap(\.maxIn100ms).max()
        combined.maxIn1sActual = runs.compactMap(\.maxIn1sActual).max()
        combined.violations = runs.compactMap(\.violations).reduce(0, +)
        combined.wakeLateP99Ns = median(runs.compactMap(\.wakeLateP99Ns))
        combined.opsPerSecRuns = runs.compactMap(\.opsPerSec)
        combined.nsP50Runs = runs.compactMap(\.nsP50)
        combined.achievedRatioRuns = runs.compactMap(\.achievedRatio)
        return combined
    }

    private static func median<T: Comparable>(_ values: [T]) -> T? {
        values.isEmpty ? nil : values.sorted()[values.count / 2]
    }
}
