import SluiceBench
import SluicePOSIX

/// `sluice bench spool [--json]`
let spoolBenchCommand = Command(
    ["bench", "spool"],
    summary: "Measure the spool: durable enqueue, claim+complete across processes, a large backlog",
    usage: """
        sluice bench spool [--json] [--dir DIR] [--backlog N] [--claim-tasks N] [--batched-tasks N]

        In a fresh directory under DIR (default /var/tmp; use a disk, not tmpfs), removed afterwards:
          durable enqueue, one task per sync, and in batches of 1000 (acknowledgement: data and
          directory synced), then the background expansion into one file per task;
          claim+complete per second with 1, 2 and 4 worker processes on one queue;
          a worker starting on a backlog of N tasks (default 1,000,000; 0 skips it): time from
          spawn to index built, and its RSS (VmHWM, VmRSS).
        Build with -c release for meaningful figures (make bench-spool).
        """
) { arguments, terminal in
    var options = SpoolBench.Options()
    let json = arguments.flag("--json")
    if let directory = try arguments.option("--dir") { options.parentDirectory = directory }
    let count = { (text: String) -> Int? in Int(text).flatMap { $0 >= 0 ? $0 : nil } }
    if let backlog = try arguments.option("--backlog", as: count, expected: "a whole number of tasks") { options.backlogTasks = backlog }
    if let tasks = try arguments.option("--claim-tasks", as: count, expected: "a whole number of tasks") { options.claimTasks = max(1, tasks) }
    if let tasks = try arguments.option("--batched-tasks", as: count, expected: "a whole number of tasks") {
        options.batchedTasks = max(options.batchSize, tasks)
    }
    try arguments.finish()
    let bench = SpoolBench(options: options, workerCommand: [try CurrentProcess.executablePath(), "bench", "spool", "worker"])
    let report = try bench.run { terminal.err("bench spool: \($0)") }
    terminal.out(json ? report.json() : report.text())
    return ExitCode.success
}

/// `sluice bench spool worker (claim ROOT QUEUE GO-FILE | backlog ROOT QUEUE)`: a bench child process.
let spoolBenchWorkerCommand = Command(
    ["bench", "spool", "worker"],
    summary: "A worker process of `sluice bench spool` (internal)",
    usage: "sluice bench spool worker (claim ROOT QUEUE GO-FILE | backlog ROOT QUEUE)",
    hidden: true
) { arguments, terminal in
    let mode = try arguments.positional("mode")
    let root = try arguments.positional("root")
    let queue = try arguments.positional("queue")
    switch mode {
    case "claim":
        let go = try arguments.positional("go-file")
        try arguments.finish()
        try SpoolBenchWorker.claimLoop(root: root, queue: queue, goFile: go, output: terminal.out)
    case "backlog":
        try arguments.finish()
        try SpoolBenchWorker.backlogStart(root: root, queue: queue, output: terminal.out)
    default:
        throw UsageError("unknown worker mode \"\(mode)\"; use claim or backlog")
    }
    return ExitCode.success
}
