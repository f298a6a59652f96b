import Foundation
import SluiceBench
import SluiceLimiter
import SluicePOSIX
import SluiceCore

/// `sluice bench …`: the measurements behind README's figures.
let benchCommands: [Command] = [benchLimiter, benchLimiterChild, benchReportCommand, jsonBenchCommand, benchRedis]

private let benchLimiter = Command(
    ["bench", "limiter"],
    summary: "Measure the limiter across real processes (ops/s, ns/call, pacing)",
    usage: """
        sluice bench limiter [--processes N] [--seconds S] [--rate R] [--burst B] [--paced | --bare-cas] [--runs K] [--json] [--starts-file F]

          --processes N    worker processes on one queue of a fresh segment (default 1)
          --seconds S      how long to measure (default 5)
          --paced          reserve, sleep until the granted instant, record the start;
                           without it, tryAcquire in a tight loop at an unlimited rate
          --rate R         the queue's rate, e.g. 100/s or 1.5/s (paced default 100/s)
          --burst B        the queue's burst (default 1)
          --bare-cas       measure a bare load+CAS loop on one shared word instead: the
                           physical ceiling the limiter's ops/s is compared with
          --runs K         repeat K times; report medians, the worst windows, all violations
          --json           print one JSON object instead of text
          --starts-file F  (paced) write every start, "granted actual" (ns), sorted by granted, to F
        """
) { arguments, terminal in
    var bench = LimiterBench()
    bench.processes = try arguments.option("--processes", as: { Int($0).flatMap { (1...256).contains($0) ? $0 : nil } },
                                           expected: "a process count in 1…256") ?? 1
    bench.seconds = try arguments.option("--seconds", as: { Double($0).flatMap { $0 > 0 && $0 <= 3600 ? $0 : nil } },
                                         expected: "a number of seconds in (0, 3600]") ?? 5
    if let text = try arguments.option("--rate") {
        do { bench.rate = try Rate(parsing: text) } catch { throw UsageError("--rate: \(error)") }
    }
    bench.burst = try arguments.option("--burst", as: { UInt64($0).flatMap { $0 >= 1 ? $0 : nil } },
                                       expected: "a whole number ≥ 1") ?? 1
    bench.paced = arguments.flag("--paced")
    bench.bareCompareAndSwap = arguments.flag("--bare-cas")
    if bench.paced && bench.bareCompareAndSwap { throw UsageError("--paced and --bare-cas measure different things; pick one") }
    bench.runs = try arguments.option("--runs", as: { Int($0).flatMap { (1...100).contains($0) ? $0 : nil } },
                                      expected: "a run count in 1…100") ?? 1
    bench.startsFile = try arguments.option("--starts-file")
    let json = arguments.flag("--json")
    try arguments.finish()
    let report = try bench.run(executable: try CurrentProcess.executablePath())
    terminal.out(json ? try report.json() : report.text)
    return ExitCode.success
}

/// One process of `bench limiter`; spawned by it, not by people.
private let benchLimiterChild = Command(
    ["bench", "limiter-child"],
    summary: "(internal) one process of bench limiter",
    usage: "sluice bench limiter-child --fleet F --queue Q --mode paced|unpaced --go NS --end NS --parent PID",
    hidden: true
) { arguments, terminal in
    guard let fleet = try arguments.option("--fleet"), let queueName = try arguments.option("--queue"),
          let mode = try arguments.option("--mode"),
          let go = try arguments.option("--go", as: { UInt64($0) }, expected: "an instant in ns"),
          let end = try arguments.option("--end", as: { UInt64($0) }, expected: "an instant in ns"),
          let parent = try arguments.option("--parent", as: { Int32($0) }, expected: "a pid")
    else { throw UsageError("--fleet, --queue, --mode, --go, --end and --parent are required") }
    try arguments.finish()
    try CurrentProcess.dieWithParent(expectedParent: parent)
    let queue = try Coordinator.attach(fleet: FleetName(validating: fleet)).queue(QueueName(validating: queueName))
    switch mode {
    case "paced": terminal.out(LimiterBenchChild.paced(queue: queue, go: go, end: end))
    case "bare-cas":
        terminal.out(LimiterBenchChild.bareCompareAndSwap(word: queue.baselineWord, go: go, end: end))
    case "unpaced": terminal.out(LimiterBenchChild.unpaced(queue: queue, go: go, end: end, latencyPhase: 1_000_000_000))
    default: throw UsageError("--mode: \"\(mode)\" is not paced or unpaced")
    }
    return ExitCode.success
}
