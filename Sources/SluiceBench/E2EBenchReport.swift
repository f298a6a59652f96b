import Foundation

/// What `sluice bench e2e` measured, printed as text or one JSON object.
public struct E2EBenchReport: Encodable, Sendable {
    /// How many runs this report combines (medians; worst windows, all problems).
    public var runs = 1
    public var tasks: Int
    public var drain: E2EDrainReport?
    public var executor: E2EExecutorReport?
    /// Each run's key figures, when there are several.
    public var perRun: [E2ERunFigures]?
    /// Correctness failures (lost or dead tasks, 429s, windows over the limit):
    /// any of them makes the command exit non-zero.
    public var problems: [String] = []

    public init(tasks: Int) { self.tasks = tasks }

    enum CodingKeys: String, CodingKey {
        case runs, tasks, drain, executor, targets, problems
        case perRun = "per_run"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runs, forKey: .runs)
        try container.encode(tasks, forKey: .tasks)
        try container.encodeIfPresent(drain, forKey: .drain)
        try container.encodeIfPresent(executor, forKey: .executor)
        try container.encodeIfPresent(perRun, forKey: .perRun)
        try container.encode(targets, forKey: .targets)
        try container.encode(problems, forKey: .problems)
    }

    /// Issue 3's targets, judged on these figures.
    public var targets: [E2ETarget] {
        var targets: [E2ETarget] = []
        if let drain {
            let worst = drain.queues.map(\.ratio).max() ?? 0
            let refused = drain.queues.map(\.rateLimited).reduce(0, +)
            targets.append(E2ETarget(name: "drain within 2% of theoretical, zero 429s",
                                     value: "worst ratio \(Self.decimal(worst, 3)), \(refused) × 429", met: worst <= 1.02 && refused == 0))
            targets.append(E2ETarget(name: "worker RSS ≤ 40 MB (VmHWM, MiB)",
                                     value: "max \(Self.megabytes(drain.workerPeakRSSMaxKB)), median \(Self.megabytes(drain.workerPeakRSSMedianKB))",
                                     met: drain.workerPeakRSSMaxKB <= 40 * 1024))
        }
        if let executor {
            targets.append(E2ETarget(name: "≥ 1,000 requests/s per worker process",
                                     value: "\(Self.grouped(executor.requestsPerSecond))/s", met: executor.requestsPerSecond >= 1000))
        }
        return targets
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func decimal(_ value: Double, _ places: Int = 2) -> String { String(format: "%.\(places)f", value) }
    static func megabytes(_ kilobytes: Int) -> String { String(format: "%.1f MB", Double(kilobytes) / 1024) }
    static func grouped(_ value: Double) -> String { LimiterBenchReport.grouped(value) }
}

/// One target of issue 3 and whether the figures meet it.
public struct E2ETarget: Encodable, Sendable {
    public var name: String
    public var value: String
    public var met: Bool
}

/// One run's headline figures, kept beside the medians.
public struct E2ERunFigures: Encodable, Sendable {
    public var ratios: [String: Double]
    public var fleetCPUSeconds: Double?
    public var workerPeakRSSMaxKB: Int?
    public var requestsPerSecond: Double?
    public var addedP50Microseconds: Double?

    enum CodingKeys: String, CodingKey {
        case ratios
        case fleetCPUSeconds = "fleet_cpu_s", workerPeakRSSMaxKB = "worker_peak_rss_max_kb"
        case requestsPerSecond = "requests_per_s", addedP50Microseconds = "added_p50_us"
    }
}
