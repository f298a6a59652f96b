import SluiceBench

/// `sluice bench json [--runs N] [--json]`
let jsonBenchCommand = Command(
    ["bench", "json"],
    summary: "Measure the JSON parser on hostile shapes (1 MiB of keys, a 1 MiB string, deep nesting)",
    usage: """
        sluice bench json [--runs N] [--json]

        Parses about 1 MiB of each shape a client, a task or a provider can send: an object with
        ~100,000 distinct keys, one long string, a string of escapes, an array of numbers, the deepest
        nesting allowed. Prints the median and slowest of N runs (default 5) in milliseconds.
        Parsing is linear in the input, so each takes milliseconds; build with -c release.
          --runs N        runs per shape (1…100)
          --json          a JSON array instead of text
        """
) { arguments, terminal in
    var bench = JSONBench()
    bench.runs = try arguments.option("--runs", as: { Int($0).flatMap { (1...100).contains($0) ? $0 : nil } },
                                      expected: "a run count in 1…100") ?? 5
    let json = arguments.flag("--json")
    try arguments.finish()
    let shapes = try bench.run()
    terminal.out(json ? JSONBench.json(shapes) : JSONBench.text(shapes))
    return ExitCode.success
}
