import SluiceBench
import SluicePOSIX

/// `sluice bench e2e`: the fleet end to end, and the HTTP executor alone.
let e2eBenchCommands: [Command] = [benchE2E, benchE2EExecutor]

private let benchE2E = Command(
    ["bench", "e2e"],
    summary: "Measure the fleet end to end against the sandbox, and the HTTP executor alone",
    usage: """
        sluice bench e2e [--tasks N] [--runs K] [--json] [--only drain|executor] [--dir DIR] [--keep]
                         [--executor-seconds S] [--latency-seconds S] [--concurrency C] [--arrivals-dir DIR]

          Fleet drain: a sandbox on 127.0.0.1 (limits per 1 s window), N tasks (default 2,000)
          enqueued across four queues at 90% of its limits (2-4 worker processes each), `sluice run`
          until drained. Per queue: drain time (first request sent → last task settled) against
          the theoretical (max(0, units − burst) ÷ rate, for the slowest of the queue's cells),
          429s, busiest window against the limit. Fleet: CPU seconds, worker RSS (VmHWM).
          Executor alone: one process sends through HTTPExecutor to the sandbox's unlimited echo
          route: requests/s with C in flight (default 8) for S s (default 5), and the latency it adds
          over a bare socket, one request at a time (default 4 s).

          --runs K     repeat K times; medians, worst windows, every problem
          --dir DIR    where the scratch directory (with the spool) goes (default /var/tmp)
          --keep       keep the scratch directory (the fleet's log, the spool) for inspection;
                       processes and the shared-memory segment are still removed
          --json       print one JSON object instead of text
          --arrivals-dir DIR  save each run's sandbox arrivals (GET /__sandbox/arrivals) to
                       DIR/e2e-arrivals-run<K>.json, for `sluice bench report`'s charts

        Exits 1 if any task was lost or dead, the sandbox answered a 429, or a window went over
        its limit. Build with -c release for meaningful figures (make bench-e2e).
        """
) { arguments, terminal in
    var bench = E2EBench()
    bench.tasks = try arguments.option("--tasks", as: { Int($0).flatMap { (8...1_000_000).contains($0) ? $0 : nil } },
                                       expected: "a task count in 8…1,000,000") ?? bench.tasks
    bench.runs = try arguments.option("--runs", as: { Int($0).flatMap { (1...20).contains($0) ? $0 : nil } },
                                      expected: "a run count in 1…20") ?? 1
    let seconds = { (text: String) -> Double? in Double(text).flatMap { $0 > 0 && $0 <= 600 ? $0 : nil } }
    bench.executorSeconds = try arguments.option("--executor-seconds", as: seconds, expected: "seconds in (0, 600]") ?? bench.executorSeconds
    bench.latencySeconds = try arguments.option("--latency-seconds", as: seconds, expected: "seconds in (0, 600]") ?? bench.latencySeconds
    bench.concurrency = try arguments.option("--concurrency", as: { Int($0).flatMap { (1...256).contains($0) ? $0 : nil } },
                                             expected: "requests in flight, 1…256") ?? bench.concurrency
    switch try arguments.option("--only") {
    case nil: break
    case "drain"?: bench.executorPhase = false
    case "executor"?: bench.drainPhase = false
    case let other?: throw UsageError("--only: \"\(other)\" is not a phase; use drain or executor")
    }
    if let directory = try arguments.option("--dir") { bench.parentDirectory = directory }
    bench.keepFiles = arguments.flag("--keep")
    bench.arrivalsDirectory = try arguments.option("--arrivals-dir")
    let json = arguments.flag("--json")
    try arguments.finish()
    let report = try bench.run(executable: try CurrentProcess.executablePath()) { terminal.err("bench e2e: \($0)") }
    terminal.out(json ? try report.json() : report.text)
    guard report.problems.isEmpty else {
        terminal.err("bench e2e: FAILED: " + report.problems.joined(separator: "; "))
        return ExitCode.failure
    }
    return ExitCode.success
}

/// The executor's process of `bench e2e`; spawned by it, not by people.
private let benchE2EExecutor = Command(
    ["bench", "e2e-executor"],
    summary: "(internal) the HTTP executor's process of bench e2e",
    usage: "sluice bench e2e-executor --port P --seconds S --latency-seconds S --concurrency C --parent PID",
    hidden: true
) { arguments, terminal in
    guard let port = try arguments.option("--port", as: { UInt16($0) }, expected: "a port"),
          let seconds = try arguments.option("--seconds", as: { Double($0) }, expected: "seconds"),
          let latencySeconds = try arguments.option("--latency-seconds", as: { Double($0) }, expected: "seconds"),
          let concurrency = try arguments.option("--concurrency", as: { Int($0) }, expected: "a count"),
          let parent = try arguments.option("--parent", as: { Int32($0) }, expected: "a pid")
    else { throw UsageError("--port, --seconds, --latency-seconds, --concurrency and --parent are required") }
    try arguments.finish()
    try CurrentProcess.dieWithParent(expectedParent: parent)
    terminal.out(try E2EExecutorChild.runBlocking(port: port, seconds: seconds, latencySeconds: latencySeconds, concurrency: concurrency))
    return ExitCode.success
}
