import Foundation
import SluiceBench
import SluiceTestSupport
import Testing

/// REPORT.md's section 5 from a `bench schedule --json` made by hand.
@Suite struct BenchReportScheduleTests {
    /// `bench schedule --json` as the command writes it, cut to two scenarios.
    static let scheduleJSON = """
        {"runs": 3, "problems": ["run 2: kill: the sandbox answered 1 × 429"],
         "scenarios": [
          {"name": "set-rate", "title": "50/s → 1/s → 50/s", "setup": "Stripe at 50/s",
           "figures": [{"key": "recovery_s", "label": "set-rate 50/s → back at ≥ 95% of 50/s", "unit": "s", "places": 2, "combined": "median",
                        "runs": [1.21, null, 1.19], "value": 1.21}],
           "targets": [{"name": "50/s again within the horizon + 1 s (1.2 s)", "value": "1.21 s", "met": false}]},
          {"name": "kill", "title": "kill -9 of a worker every 2 s", "setup": "Stripe at 5/s",
           "figures": [{"key": "achieved_percent", "label": "… as a share of the rate", "unit": "%", "places": 0, "combined": "median",
                        "runs": [66, 70, 68], "value": 68},
                       {"key": "rate_limited", "label": "429s", "unit": "", "places": 0, "combined": "sum", "runs": [0, 1, 0], "value": 1}],
           "targets": [{"name": "≥ 60% of the rate", "value": "68%", "met": true}]}]}
        """

    @Test func reportSection_showsEveryFigureWithItsRuns_theTargets_andTheProblems() throws {
        let raw = try BenchReportTests.rawDirectory()
        try Self.scheduleJSON.write(toFile: raw.file("schedule.json"), atomically: true, encoding: .utf8)
        try "schedule\tsluice bench schedule --runs 3 --json\n".write(toFile: raw.file("commands.tsv"), atomically: true, encoding: .utf8)
        let output = try ScratchDirectory(label: "bench-report-out")
        _ = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        let report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("## 5. The schedule under change (`sluice bench schedule`)"))
        #expect(report.contains("Medians of 3 run(s), round by round; busiest windows the worst run, 429s summed. Command: `sluice bench schedule --runs 3 --json`."))
        #expect(report.contains("| **set-rate**: 50/s → 1/s → 50/s | set-rate 50/s → back at ≥ 95% of 50/s | 1.21 s | 1.21 s · not within the run · 1.19 s |"))
        #expect(report.contains("|  | 429s | 1 | 0 · 1 · 0 |"))
        #expect(report.contains("| set-rate | 50/s again within the horizon + 1 s (1.2 s) | 1.21 s | **missed** |"))
        #expect(report.contains("| kill | ≥ 60% of the rate | 68% | met |"))
        #expect(report.contains("- **kill**: Stripe at 5/s."))
        #expect(report.contains("- run 2: kill: the sandbox answered 1 × 429"))
        #expect(report.contains("- **Schedule under change** (2 scenarios, medians of 3 runs): 1 of 2 targets met; missed: set-rate: "
                                + "50/s again within the horizon + 1 s (1.2 s) (1.21 s); **problems found**: run 2: kill: the sandbox answered 1 × 429 (section 5)."))
    }

    @Test func reportSection_withoutARun_saysSo() throws {
        let raw = try BenchReportTests.rawDirectory()
        let output = try ScratchDirectory(label: "bench-report-out")
        _ = try BenchReport(inputs: BenchReportInputs(directory: raw.path)).write(to: output.path)
        let report = try String(contentsOfFile: output.file("REPORT.md"), encoding: .utf8)
        #expect(report.contains("## 5. The schedule under change (`sluice bench schedule`)\n\nNot measured in this run."))
        #expect(!report.contains("Schedule under change**"))
    }
}
