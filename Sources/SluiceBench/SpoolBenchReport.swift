import SluiceSpool
import SluiceJSON

/// The figures `sluice bench spool` measures.
public struct SpoolBenchReport: Sendable {
    public var spoolPath = ""
    public var fileSystem = ""
    /// Durable enqueue, one task per commit (fdatasync + directory fsync each).
    public var singleEnqueuePerSecond = 0.0
    public var singleTasks = 0
    /// Durable enqueue, `batchSize` tasks per commit, acknowledgement only.
    public var batchedEnqueuePerSecond = 0.0
    public var batchedTasks = 0
    public var batchSize = 0
    /// Expanding acknowledged batches into one ready/ file per task (the background work), creating files.
    public var expansionPerSecond = 0.0
    /// The same, reusing spare files left by completed tasks (the steady state).
    public var expansionWithSparesPerSecond = 0.0
    /// Claim + complete per second for 1, 2, 4 processes on one queue.
    public var claimCompletePerSecond: [(processes: Int, perSecond: Double)] = []
    public var claimTasks = 0
    /// The backlog: tasks, how long building it took, and a worker's start-up on it.
    public var backlogTasks = 0
    public var backlogSetupSeconds = 0.0
    /// From spawning a worker process to its index being built.
    public var indexBuildSeconds = 0.0
    public var workerPeakRSSKB = 0
    public var workerRSSKB = 0

    public init() {}

    public func text() -> String {
        func rate(_ value: Double) -> String { String(Int(value.rounded())).withThousandsSeparators() }
        func row(_ label: String, _ value: String, _ unit: String, _ note: String) -> String {
            "  " + label + String(repeating: " ", count: max(1, 40 - label.count)) + value.leftAligned(9) + " " + unit + "   " + note
        }
        var lines = [
            "sluice bench spool: \(spoolPath) (\(fileSystem))",
            row("durable enqueue, 1 task per sync", rate(singleEnqueuePerSecond), "tasks/s", "(\(singleTasks) tasks)"),
            row("durable enqueue, batches of \(batchSize)", rate(batchedEnqueuePerSecond), "tasks/s", "(\(batchedTasks) tasks; target ≥ 20,000)"),
            row("  expansion into new files", rate(expansionPerSecond), "tasks/s", "(in the background, after acknowledgement)"),
            row("  expansion reusing spare files", rate(expansionWithSparesPerSecond), "tasks/s", "(the steady state: completions leave spares)"),
        ]
        for (processes, perSecond) in claimCompletePerSecond {
            let target = processes == 4 ? "; target ≥ 5,000" : ""
            lines.append(row("claim+complete, \(processes) process\(processes == 1 ? "" : "es")", rate(perSecond), "tasks/s",
                             "(\(claimTasks) tasks\(target))"))
        }
        if backlogTasks > 0 {
            lines.append("  backlog of \(String(backlogTasks).withThousandsSeparators()) tasks (built in \(String(format1: backlogSetupSeconds)) s)")
            lines.append(row("  worker start + index build", String(format1: indexBuildSeconds), "s      ", "(target ≤ 15 s)"))
            lines.append(row("  worker RSS, peak / now", "\(workerPeakRSSKB / 1024) / \(workerRSSKB / 1024)", "MB     ", "(target ≤ 150 MB)"))
        }
        return lines.joined(separator: "\n")
    }

    public func json() -> String {
        var object = JSONObject()
        object["spool"] = .string(spoolPath)
        object["file_system"] = .string(fileSystem)
        object["enqueue_single_per_second"] = .number(String(Int(singleEnqueuePerSecond.rounded())))
        object["enqueue_batched_per_second"] = .number(String(Int(batchedEnqueuePerSecond.rounded())))
        object["batch_size"] = .number(String(batchSize))
        object["expansion_per_second"] = .number(String(Int(expansionPerSecond.rounded())))
        object["expansion_with_spares_per_second"] = .number(String(Int(expansionWithSparesPerSecond.rounded())))
        var claims = JSONObject()
        for (processes, perSecond) in claimCompletePerSecond { claims[String(processes)] = .number(String(Int(perSecond.rounded()))) }
        object["claim_complete_per_second"] = .object(claims)
        object["backlog_tasks"] = .number(String(backlogTasks))
        object["index_build_seconds"] = .number(String(format1: indexBuildSeconds, digits: 3))
        object["worker_peak_rss_kb"] = .number(String(workerPeakRSSKB))
        object["worker_rss_kb"] = .number(String(workerRSSKB))
        return JSONWriter.string(.object(object))
    }
}

extension String {
    /// `1234567` → `1,234,567`.
    func withThousandsSeparators() -> String {
        var result = ""
        for (index, character) in reversed().enumerated() {
            if index > 0, index % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }

    func leftAligned(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }

    /// A non-negative number with `digits` decimals, without Foundation.
    init(format1 value: Double, digits: Int = 1) {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        self = "\(whole).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}
