import SluiceBench

/// `sluice bench report`: REPORT.md and SVG charts from one `make bench` run's raw results.
let benchReportCommand = Command(
    ["bench", "report"],
    summary: "Write the benchmark report (REPORT.md, SVG charts) from the raw results of make bench",
    usage: """
        sluice bench report [--raw DIR] [--out DIR]

          --raw DIR   the raw results scripts/bench-report.sh wrote (default bench/raw): machine.tsv,
                      commands.tsv, limiter-*.json, spool.txt, e2e.json, e2e-arrivals-run1.json,
                      versus/*.json, schedule.json. A missing file leaves its section out; a malformed
                      one is an error.
          --out DIR   where REPORT.md and the charts go (default bench)

        Every figure is computed from the raw files: rates, drain times, sliding windows and
        violations from the sandbox's arrivals, the same way for every contender.
        """
) { arguments, terminal in
    let raw = try arguments.option("--raw") ?? "bench/raw"
    let output = try arguments.option("--out") ?? "bench"
    try arguments.finish()
    let inputs: BenchReportInputs
    do { inputs = try BenchReportInputs(directory: raw) } catch { throw UsageError("--raw \(raw): \(error)") }
    for path in try BenchReport(inputs: inputs).write(to: output) { terminal.out("wrote \(path)") }
    return ExitCode.success
}
