import Glibc
import SluicePOSIX
import SluiceSpool
import SluiceCore
import SluiceJSON

/// `sluice bench spool`: durable enqueue (one task per sync, and batched),
/// expansion, claim+complete across processes, and a worker starting on a
/// large backlog. Works in a fresh directory it removes afterwards.
public struct SpoolBench {
    public struct Options: Sendable {
        /// Where to make the scratch spool (it must be on the disk to measure, not tmpfs).
        public var parentDirectory = "/var/tmp"
        public var singleTasks = 500
        public var batchedTasks = 50_000
        public var batchSize = 1000
        public var claimTasks = 20_000
        public var processCounts = [1, 2, 4]
        public var backlogTasks = 1_000_000
        public init() {}
    }

    let options: Options
    /// The command line that runs `SpoolBenchWorker` in a child: `[sluice, "bench", "spool", "worker"]`.
    let workerCommand: [String]

    public init(options: Options, workerCommand: [String]) {
        self.options = options
        self.workerCommand = workerCommand
    }

    /// Runs every measurement; `progress` hears what is going on.
    public func run(progress: (String) -> Void) throws -> SpoolBenchReport {
        let directory = try makeScratchDirectory()
        defer { removeTree(directory) }
        let root = directory + "/spool"
        var report = SpoolBenchReport()
        report.spoolPath = root
        report.fileSystem = Self.fileSystemName(directory)
        progress("durable enqueue, one task per sync…")
        try measureSingle(root, into: &report)
        progress("durable enqueue, batches of \(options.batchSize)…")
        try measureBatched(root, into: &report)
        for processes in options.processCounts {
            progress("claim+complete with \(processes) process\(processes == 1 ? "" : "es")…")
            report.claimCompletePerSecond.append((processes, try measureClaims(root, processes: processes, scratch: directory)))
            report.claimTasks = options.claimTasks
        }
        if let first = options.processCounts.first {
            progress("expansion reusing the spare files the claims left…")
            report.expansionWithSparesPerSecond = try measureSpareExpansion(root, queue: "bench-claim-\(first)")
        }
        if options.backlogTasks > 0 {
            progress("building a backlog of \(options.backlogTasks) tasks…")
            try measureBacklog(root, scratch: directory, into: &report)
        }
        return report
    }

    private func measureSingle(_ root: String, into report: inout SpoolBenchReport) throws {
        let queue = try SpoolQueue(root: root, name: QueueName(validating: "bench-single"))
        let task = try Self.sampleTask(queue.name)
        let start = MonotonicClock.now()
        for _ in 0..<options.singleTasks { _ = try queue.enqueue([task]) }
        report.singleEnqueuePerSecond = Self.perSecond(options.singleTasks, since: start)
        report.singleTasks = options.singleTasks
    }

    private func measureBatched(_ root: String, into report: inout SpoolBenchReport) throws {
        let queue = try SpoolQueue(root: root, name: QueueName(validating: "bench-batched"))
        let batch = Array(repeating: try Self.sampleTask(queue.name), count: options.batchSize)
        let batches = options.batchedTasks / options.batchSize
        let start = MonotonicClock.now()
        for _ in 0..<batches { _ = try queue.enqueue(batch) }
        report.batchedEnqueuePerSecond = Self.perSecond(batches * options.batchSize, since: start)
        report.batchedTasks = batches * options.batchSize
        report.batchSize = options.batchSize
        let expansion = MonotonicClock.now()
        let expanded = try queue.expandPendingBatches()
        report.expansionPerSecond = Self.perSecond(expanded, since: expansion)
    }

    /// Fills a queue with `options.claimTasks` tasks, lets `processes` workers
    /// build their indexes, starts them together, and times until all are done.
    private func measureClaims(_ root: String, processes: Int, scratch: String) throws -> Double {
        let name = "bench-claim-\(processes)"
        try fill(root, queue: name, tasks: options.claimTasks, batch: 10_000)
        let go = "\(scratch)/go-\(processes)"
        let workers = try (0..<processes).map { index in
            try SpoolBenchChild(workerCommand + ["claim", root, name, go], output: "\(scratch)/claimer-\(processes)-\(index).out")
        }
        defer { workers.forEach { $0.stop() } }
        for worker in workers { try worker.waitForLine(prefix: "ready", seconds: 60) }
        let start = MonotonicClock.now()
        _ = creat(go, 0o600)
        var claimed = 0
        var end = start
        for worker in workers {
            let words = try worker.waitForLine(prefix: "done", seconds: 600)
            claimed += Int(words[1]) ?? 0
            end = max(end, UInt64(words[2]) ?? end)
        }
        guard claimed == options.claimTasks else {
            throw SpoolError("bench: \(processes) workers claimed \(claimed) tasks of \(options.claimTasks)")
        }
        return Double(claimed) / (Double(end - start) / 1e9)
    }

    /// Enqueues as many tasks as were just completed in `queue` (whose
    /// spare/ now holds their files) and times expanding them.
    private func measureSpareExpansion(_ root: String, queue name: String) throws -> Double {
        let queue = try SpoolQueue(root: root, name: QueueName(validating: name))
        let batch = Array(repeating: try Self.sampleTask(queue.name), count: options.batchSize)
        for _ in 0..<max(1, options.claimTasks / options.batchSize) { _ = try queue.enqueue(batch) }
        let start = MonotonicClock.now()
        let expanded = try queue.expandPendingBatches()
        return Self.perSecond(expanded, since: start)
    }

    private func measureBacklog(_ root: String, scratch: String, into report: inout SpoolBenchReport) throws {
        let start = MonotonicClock.now()
        try fill(root, queue: "bench-backlog", tasks: options.backlogTasks, batch: 10_000)
        report.backlogSetupSeconds = Double(MonotonicClock.now() - start) / 1e9
        report.backlogTasks = options.backlogTasks
        let spawned = MonotonicClock.now()
        let worker = try SpoolBenchChild(workerCommand + ["backlog", root, "bench-backlog"], output: "\(scratch)/backlog.out")
        defer { worker.stop() }
        let words = try worker.waitForLine(prefix: "indexed", seconds: 600)
        report.indexBuildSeconds = Double((UInt64(words[1]) ?? spawned) - spawned) / 1e9
        report.workerPeakRSSKB = Int(words[2]) ?? 0
        report.workerRSSKB = Int(words[3]) ?? 0
    }

    /// Enqueues `tasks` tasks in batches and expands them into ready/.
    private func fill(_ root: String, queue name: String, tasks: Int, batch: Int) throws {
        var options = SpoolOptions()
        options.maximumBatchCount = batch
        let queue = try SpoolQueue(root: root, name: QueueName(validating: name), options: options)
        let task = try Self.sampleTask(queue.name)
        var left = tasks
        while left > 0 {
            let count = min(batch, left)
            _ = try queue.enqueue(Array(repeating: task, count: count))
            try queue.expandPendingBatches()
            left -= count
        }
    }

    static func sampleTask(_ queue: QueueName) throws -> TaskRequest {
        var variables = JSONObject()
        variables["name"] = .string("Ada")
        var payload = JSONObject()
        payload["to"] = .string("ada@example.com")
        payload["template"] = .string("welcome")
        payload["variables"] = .object(variables)
        return try TaskRequest(queue: queue, kind: "send_email", payload: payload)
    }

    static func perSecond(_ count: Int, since start: UInt64) -> Double {
        Double(count) / (Double(MonotonicClock.now() - start) / 1e9)
    }

    private func makeScratchDirectory() throws -> String {
        var template = Array("\(options.parentDirectory)/sluice-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SpoolError("bench: cannot make a directory in \(options.parentDirectory): \(SystemError(call: "mkdtemp", errno: errno)); choose another with --dir")
        }
        return String(cString: made)
    }

    private func removeTree(_ path: String) {
        if let remover = try? ChildProcess.spawn(executable: "/bin/rm", arguments: ["-rf", path]) { _ = try? remover.waitForExit() }
    }

    /// The type of the file system holding `path`, from /proc/mounts (the longest mount point above it).
    static func fileSystemName(_ path: String) -> String {
        guard let file = fopen("/proc/mounts", "r") else { return "unknown file system" }
        defer { fclose(file) }
        var best = (mountPoint: "", type: "unknown file system")
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
            guard fields.count >= 3 else { continue }
            let mountPoint = String(fields[1])
            let under = path == mountPoint || path.hasPrefix(mountPoint == "/" ? "/" : mountPoint + "/")
            if under, mountPoint.count >= best.mountPoint.count { best = (mountPoint, String(fields[2])) }
        }
        return best.type == "tmpfs" ? "tmpfs: memory, not a disk; these are not durable-write figures" : best.type
    }
}
