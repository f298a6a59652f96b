import Foundation
import SluiceBench
import SluiceTestSupport
import Testing

/// `sluice bench report` on a raw directory made by hand: the figures come
/// from the raw files, every section names its command and the machine, and
/// what is missing is said to be missing.
@Suite struct BenchReportTests {
    /// A leg of the side-by-side as the driver writes it: `count` successes `gap` µs apart, then `refused` 429s.
    static func versusLeg(_ contender: String, run: Int, count: Int, gap: UInt64, refused: Int = 0) -> String {
        let at = (0..<count).map { UInt64($0) * gap } + (0..<refused).map { _ in UInt64(count - 1) * gap }
        let status = Array(repeating: 200, count: count) + Array(repeating: 429, count: refused)
        return """
            {"contender": "\(contender)", "run": \(run), "tasks": \(count), "processes": 4, "configuredRatePerSecond": 90.0,
             "sandboxLimit": "100/s", "settings": "\(contender) as configured", "drained": true, "wallSeconds": 3.5,
             "workerCPUSeconds": 0.5, "arrivals": {"at": \(at), "status": \(status)}, "omitted": 0,
             "limit": {"limit": "100/s", "window": "1s", "allowed": 100}}
            """
    }

    static func rawDirectory() throws -> ScratchDirectory {
        let raw = try ScratchDirectory(label: "bench-report")
        try FileManager.default.createDirectory(atPath: raw.file("versus"), withIntermediateDirectories: true)
        let files = [
            "machine.tsv": "CPU\tTest CPU @ 1 GHz\ncores (nproc)\t2\n",
            "commands.tsv": "limiter-unpaced-p1\tsluice bench limiter --processes 1 --json\nversus\tpython bench/versus/driver.py --runs 1\n",
            "limiter-unpaced-p1.json": #"{"processes": 1, "ops_per_sec": 25600000.0, "ns_p50": 40, "ns_p99": 50, "runs": 3}"#,
            "limiter-unpaced-p2.json": #"{"processes": 2, "ops_per_sec": 13400000.0, "ns_p50": 220, "ns_p99": 630, "runs": 3}"#,
            "limiter-paced-p1.json": #"{"processes": 1, "achieved_ratio": 1.0, "max_in_1s": 101, "allowed_in_1s": 101, "max_in_100ms": 11, "allowed_in_100ms": 11, "violations": 0}"#,
            // 91 successes 11 ms apart: one second holds at most 91; 90 per second achieved.
            "versus/sluice-run1.json": versusLeg("sluice", run: 1, count: 91, gap: 11_111),
            // 150 successes 1 ms apart: 150 in one window, 50 over the limit, plus 7 refused at the end.
            "versus/dramatiq-run1.json": versusLeg("dramatiq", run: 1, count: 150, gap: 1_000, refused: 7),
            "versus/decision-cost.json": #"{"dramatiq": {"ns": 106251.6, "what": "acquire() over loopback"}, "celery": {"ns": 236.1, "what": "can_consume"}}"#,
        ]
        for (name, text) in files { try text.write(toFile: raw.file(name), atomically: true, encoding: .utf8) }
        return raw
    }

    @Test func report_computesTheSideBySideFromArrivals_andNamesCommandsAndMachine() throws {
        let raw = try Self.rawDirectory()
        let output = try ScratchDirectory(label: "bench-report-out")
        let written = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        #expect(Set(written.map { ($0 as NSString).lastPathComponent })
                == ["REPORT.md", "limiter-ops.svg", "versus-starts-sluice.svg", "versus-starts-dramatiq.svg"])
        let report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("| CPU | Test CPU @ 1 GHz |"))
        #expect(report.contains("`sluice bench limiter --processes 1 --json`"))
        #expect(report.contains("Command: `python bench/versus/driver.py --runs 1`"))
        // Sluice: 90 intervals of 11.111 ms = 0.99999 s → 90.0/s; worst window 91 of 100; nothing over.
        #expect(report.contains("| Sluice | 1 | 90.0/s | 1.00 s | 91 (100) | 0 | 0 | 40 ns | 0.50 s |"))
        // Dramatiq: 157 arrivals within 0.149 s: the 101st to the 157th are over the limit; 7 × 429.
        #expect(report.contains("| Dramatiq | 1 | 1000.0/s | 0.15 s | 157 (100) | 57 | 7 | 106 µs | 0.50 s |"))
        #expect(report.contains("| 1 | 25.6 M | 40 / 50 ns | – | 100.00% · 101 / 11 (101 / 11) · 0 |"))
        #expect(report.contains("![Limiter operations per second against processes](limiter-ops.svg)"))
        #expect(report.contains("![versus-starts-dramatiq.svg](versus-starts-dramatiq.svg)"))
        // What was not measured says so, rather than showing zeros.
        #expect(report.contains("## 3. The fleet end to end (`sluice bench e2e`)\n\nNot measured in this run."))
        #expect(report.contains("## 2. The spool (`sluice bench spool`)\n\nNot measured in this run."))
    }

    /// The side-by-side at exactly the provider's number reads raw/at-limit/versus/,
    /// and says so when it was not run.
    @Test func atTheLimit_showsEachContendersShareOfTheLimit_andItsFourTwentyNines() throws {
        let raw = try Self.rawDirectory()
        let output = try ScratchDirectory(label: "bench-report-out")
        _ = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        var report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("### 4b. At the provider's own number\n\nNot measured in this run."))
        try FileManager.default.createDirectory(atPath: raw.file("at-limit/versus"), withIntermediateDirectories: true)
        // Configured at 90/s (the legs' figure) with 91 successes 11.111 ms apart: 90/s, 100% of it.
        try Self.versusLeg("sluice", run: 1, count: 91, gap: 11_111).write(toFile: raw.file("at-limit/versus/sluice-run1.json"), atomically: true, encoding: .utf8)
        try Self.versusLeg("dramatiq", run: 1, count: 46, gap: 22_222, refused: 3)
            .write(toFile: raw.file("at-limit/versus/dramatiq-run1.json"), atomically: true, encoding: .utf8)
        _ = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("| Sluice | 1 | 90.00/s | 100.0% | 91 (100) | 0 |"), "\(report)")
        #expect(report.contains("| Dramatiq | 1 | 45.00/s | 50.0% | 49 (100) | 3 |"), "\(report)")
    }

    @Test func malformedLeg_isAnErrorNamingTheFileAndField() throws {
        let raw = try Self.rawDirectory()
        try #"{"contender": "celery", "run": 1}"#.write(toFile: raw.file("versus/celery-run1.json"), atomically: true, encoding: .utf8)
        do {
            _ = try BenchReportInputs(directory: raw.path)
            Issue.record("a leg without its figures was accepted")
        } catch {
            #expect("\(error)" == "versus/celery-run1.json: tasks is missing or of the wrong type")
        }
    }
}

extension BenchReportTests {
    @Test func e2eProblems_areShownInTheHeadlinesAndTheSection_notHidden() throws {
        let raw = try Self.rawDirectory()
        try """
            {"runs": 1, "tasks": 8, "problems": ["stripe.requests: busiest window 101 > 100 allowed"],
             "drain": {"queues": [{"name": "stripe-api", "processes": 4, "tasks": 8, "rate_per_s": 90, "theoretical_s": 0.08,
                                   "drain_s": 0.08, "ratio": 1.0, "rate_limited_429": 1,
                                   "limits": [{"name": "stripe.requests", "worst_window": 101, "allowed": 100}]}],
                       "fleet_cpu_s": 1.5, "wall_s": 2.0, "worker_peak_rss_max_kb": 36000}}
            """.write(toFile: raw.file("e2e.json"), atomically: true, encoding: .utf8)
        let output = try ScratchDirectory(label: "bench-report-out")
        _ = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        let report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("1 × 429; **problems found**: stripe.requests: busiest window 101 > 100 allowed (section 3)."))
        #expect(report.contains("| stripe-api | 4 | 8 | 90.0 | 0.08 | 0.08 | **1.000** | 1 | stripe.requests 101 / 100 |"))
        #expect(report.contains("**Problems found by this run** (`bench e2e` exits 1 on any of them):\n\n- stripe.requests: busiest window 101 > 100 allowed"))
    }
}
