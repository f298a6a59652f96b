import SluiceBench
import SluicePOSIX

/// `sluice bench schedule`: issue 19's scenarios, measured against a real fleet and sandbox.
let scheduleBenchCommand = Command(
    ["bench", "schedule"],
    summary: "Measure the schedule under change: set-rate, scale-down, restart, kill -9, many keys, dropped connections",
    usage: """
        sluice bench schedule [--runs K] [--only NAME,…] [--json] [--dir DIR] [--keep]

          Each scenario starts a sandbox and a fleet of one queue on 127.0.0.1, acts on the fleet
          as an operator would, and reads what the provider saw from the sandbox's arrivals:
            set-rate    Stripe 50/s → 1/s → 50/s (admin API): achieved rate in each phase, seconds
                        from the restore until ≥ 95% of 50/s again
            scale-down  8 → 1 workers on a 5/s queue: rate after, seconds until back
            restart     SIGTERM, then sluice run again: seconds to the first request and to 5/s
            kill        kill -9 of a worker every 2 s, 5 times: achieved as a share of 5/s
            keys        3,000 Twilio tasks over 3,000 numbers, then over 200 (150/s binds both):
                        drain against the theoretical, workers' CPU per request and its ratio
            drops       20% of connections dropped: extra requests per drop, longest gap between answers
          Each also gives the sandbox limit's busiest window and the 429s.

          --runs K     every scenario K times, round by round (default 3); medians, worst windows
          --only NAME  only these scenarios (comma-separated names as above)
          --dir DIR    where each run's scratch directory (spool, logs) goes (default /var/tmp)
          --keep       keep the scratch directories; processes and segments are still removed
          --json       print one JSON object instead of text (what sluice bench report reads)

        Exits 1 on a 429, a window over the sandbox's limit, a lost or dead task, or a fleet that
        did not exit 0 after SIGTERM; a missed target only shows as MISSED. About 100 s a run;
        build with -c release for meaningful figures (make bench-schedule).
        """
) { arguments, terminal in
    var bench = ScheduleBench()
    bench.runs = try arguments.option("--runs", as: { Int($0).flatMap { (1...20).contains($0) ? $0 : nil } },
                                      expected: "a run count in 1…20") ?? bench.runs
    if let names = try arguments.option("--only") {
        bench.only = names.split(separator: ",").map(String.init)
        for name in bench.only where !ScheduleBench.scenarioNames.contains(name) {
            throw UsageError("--only: \"\(name)\" is not a scenario; use \(ScheduleBench.scenarioNames.joined(separator: ", "))")
        }
    }
    if let directory = try arguments.option("--dir") { bench.parentDirectory = directory }
    bench.keepFiles = arguments.flag("--keep")
    let json = arguments.flag("--json")
    try arguments.finish()
    let report = try bench.run(executable: try CurrentProcess.executablePath()) { terminal.err("bench schedule: \($0)") }
    terminal.out(json ? try report.json() : report.text)
    guard report.problems.isEmpty else {
        terminal.err("bench schedule: FAILED: " + report.problems.joined(separator: "; "))
        return ExitCode.failure
    }
    return ExitCode.success
}
