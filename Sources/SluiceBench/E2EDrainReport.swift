import SluicePOSIX
/// The fleet drain's figures: per queue, and for the fleet as a whole.
public struct E2EDrainReport: Encodable, Sendable {
    public var queues: [E2EQueueDrain] = []
    /// How `sluice run` ended after SIGTERM ("exited with code 0").
    public var fleetExit: String
    /// From `sluice run` spawned to the last task settled, and to the first request sent.
    public var wallSeconds = 0.0
    public var startupSeconds = 0.0
    /// User + system CPU of the supervisor and every worker (getrusage RUSAGE_CHILDREN).
    public var fleetCPUSeconds: Double
    public var sandboxCPUSeconds: Double
    public var supervisorPeakRSSKB: Int
    public var workers: [Worker]
    /// Worker processes' peak RSS (VmHWM): the largest and the median.
    public var workerPeakRSSMaxKB = 0
    public var workerPeakRSSMedianKB = 0

    /// One worker process: its queue, its last /proc reading.
    public struct Worker: Encodable, Sendable {
        public let pid: Int32
        public let queue: String
        public var peakResidentKB = 0
        public var cpuSeconds = 0.0

        enum CodingKeys: String, CodingKey {
            case pid, queue
            case peakResidentKB = "peak_rss_kb", cpuSeconds = "cpu_seconds"
        }
    }

    init(fleetExit: String, fleetCPUSeconds: Double, sandboxCPUSeconds: Double, supervisorPeakRSSKB: Int, workers: [Worker]) {
        self.fleetExit = fleetExit
        self.fleetCPUSeconds = fleetCPUSeconds
        self.sandboxCPUSeconds = sandboxCPUSeconds
        self.supervisorPeakRSSKB = supervisorPeakRSSKB
        self.workers = workers
    }

    enum CodingKeys: String, CodingKey {
        case queues, workers
        case fleetExit = "fleet_exit", wallSeconds = "wall_s", startupSeconds = "startup_s"
        case fleetCPUSeconds = "fleet_cpu_s", sandboxCPUSeconds = "sandbox_cpu_s", supervisorPeakRSSKB = "supervisor_peak_rss_kb"
        case workerPeakRSSMaxKB = "worker_peak_rss_max_kb", workerPeakRSSMedianKB = "worker_peak_rss_median_kb"
    }

    /// Fills the fleet-wide figures from the queues and workers.
    mutating func summarise(startedAt: Double, events: [LoggedEvent]) {
        let done = events.filter { $0.name == "task.done" }
        wallSeconds = (done.map(\.time).max() ?? startedAt) - startedAt
        startupSeconds = queues.map(\.firstSendSeconds).min() ?? 0
        let peaks = workers.map(\.peakResidentKB).sorted()
        workerPeakRSSMaxKB = peaks.last ?? 0
        workerPeakRSSMedianKB = peaks.isEmpty ? 0 : peaks[peaks.count / 2]
    }

    /// What went wrong for correctness (not speed): tasks lost or dead, 429s,
    /// a window over its limit, a duplicate charge, an unclean stop.
    var problems: [String] {
        var found: [String] = []
        if fleetExit != "exited with code 0" { found.append("the fleet \(fleetExit) after SIGTERM") }
        for queue in queues {
            if queue.completed != queue.tasks || queue.succeededAtSandbox != queue.tasks {
                found.append("\(queue.name): \(queue.tasks) tasks, \(queue.completed) done, \(queue.succeededAtSandbox) succeeded at the sandbox")
            }
            if queue.dead > 0 || queue.left > 0 { found.append("\(queue.name): \(queue.dead) dead, \(queue.left) left in the spool") }
            if queue.rateLimited > 0 { found.append("\(queue.name): the sandbox answered \(queue.rateLimited) × 429") }
            if queue.duplicates > 0 { found.append("\(queue.name): \(queue.duplicates) duplicate idempotency keys") }
            for limit in queue.limits where limit.worstWindow > limit.allowed {
                found.append("\(limit.name): busiest window \(limit.worstWindow) > \(limit.allowed) allowed")
            }
        }
        return found
    }
}
